#!/usr/bin/env bash
# Packs every project under src/ (each is a package unless it sets IsPackable to false) and inspects the packages
# with eng/PackageCheck: nuspec metadata, the package README, XML docs, dependencies, and symbols with SourceLink or
# embedded sources. Exits non-zero when a package is missing something. See docs/testing.md.
#
#   eng/check-packages.sh                          # Release build and pack into artifacts/packages
#   eng/check-packages.sh --no-build -c Debug      # pack what a Debug build (dotnet test) already built (.ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

configuration=Release
build=()
out=artifacts/packages
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=(--no-build) ;;
    -c|--configuration) configuration=$2; shift ;;
    -o|--output) out=$2; shift ;;
    *) echo "usage: $0 [--no-build] [-c Debug|Release] [-o folder]" >&2; exit 2 ;;
  esac
  shift
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rm -rf "$out"
mkdir -p "$out"

# What the build decided (src/Directory.Build.props), so the check compares the packages with it.
property() { sed -n "s/^ *\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" "$log.props"; }

expect=()
check_args=()
for project in src/*/*.csproj; do
  dotnet msbuild "$project" -nologo -p:Configuration="$configuration" \
    -getProperty:PackageId -getProperty:IsPackable -getProperty:LoadstoneRepositoryUrl \
    -getProperty:LoadstoneSourceLink -getProperty:SourceRevisionId -getProperty:ContinuousIntegrationBuild >"$log.props"
  if [ "$(property IsPackable)" != true ]; then
    echo "Skipping $project: IsPackable is not true (projects under src/ are packages unless they say otherwise)."
    continue
  fi
  expect+=(--expect "$(property PackageId)")
  if ! dotnet pack "$project" "${build[@]}" -c "$configuration" -o "$out" -nologo -tl:off -clp:NoSummary >"$log" 2>&1; then
    cat "$log" >&2
    echo "dotnet pack $project failed." >&2
    exit 1
  fi
  if grep -q -E ': warning ' "$log"; then
    grep -E ': warning ' "$log" | sort -u >&2
    echo "dotnet pack $project warned (package validation?)." >&2
    exit 1
  fi
  check_args=()
  [ -n "$(property LoadstoneRepositoryUrl)" ] && check_args+=(--repository-url "$(property LoadstoneRepositoryUrl)")
  [ -n "$(property SourceRevisionId)" ] && check_args+=(--commit "$(property SourceRevisionId)")
  [ "$(property LoadstoneSourceLink)" = true ] && check_args+=(--sourcelink)
  [ "$(property ContinuousIntegrationBuild)" = true ] && check_args+=(--deterministic-paths)
done
rm -f "$log.props"

dotnet build eng/PackageCheck/PackageCheck.csproj -c Release -nologo -tl:off -clp:NoSummary -v:q >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
dotnet eng/PackageCheck/bin/Release/net10.0/PackageCheck.dll "$out" "${expect[@]}" "${check_args[@]}"
