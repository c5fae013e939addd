#!/usr/bin/env bash
# Rewrites PublicAPI.Unshipped.txt of every package under src/ (or of the .csproj files given as arguments) from
# what the compiler reports: the public API analyzer's RS0016 (a public symbol missing from the declared API) and
# RS0017 (a declared symbol that no longer exists). Run it after changing the public API, read the diff of the
# PublicAPI.*.txt files (that diff is the API change to review), and commit them with the change.
#
#   eng/update-public-api.sh                              # every project under src/
#   eng/update-public-api.sh src/Loadstone/Loadstone.csproj
#
# PublicAPI.Shipped.txt (what a released version contains) is never edited here: at a release, move the lines of
# Unshipped into Shipped (dropping the *REMOVED* ones together with their Shipped line). A symbol removed since
# the last release is written to Unshipped as "*REMOVED*<symbol>". See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  projects=(src/*/*.csproj)
fi

header='#nullable enable'
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for project in "${projects[@]}"; do
  project=$(cd "$(dirname "$project")" && pwd)/$(basename "$project")
  dir=$(dirname "$project")
  shipped=$dir/PublicAPI.Shipped.txt
  unshipped=$dir/PublicAPI.Unshipped.txt
  [ -f "$shipped" ] || printf '%s\n' "$header" > "$shipped"
  # Start from an empty Unshipped: every public symbol not in Shipped is then reported once. Rewriting the file
  # also makes the compiler run again (it is an input of the compilation), so the diagnostics are all printed.
  printf '%s\n' "$header" > "$unshipped"

  echo "Building $(basename "$project") to collect RS0016/RS0017..."
  if ! dotnet build "$project" -nologo -tl:off -clp:NoSummary -p:TreatWarningsAsErrors=false >"$log" 2>&1; then
    cat "$log" >&2
    echo "The build failed; fix the errors above and run the script again." >&2
    exit 1
  fi

  # A diagnostic line ends with the project it belongs to in brackets; keep this project's only.
  {
    grep -F "[$project]" "$log" | grep ' warning RS0016: ' |
      sed -E "s/.* warning RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/" || true
    grep -F "[$project]" "$log" | grep ' warning RS0017: ' |
      sed -E "s/.* warning RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found.*/*REMOVED*\1/" || true
  } | LC_ALL=C sort -u > "$log.api"
  { printf '%s\n' "$header"; cat "$log.api"; } > "$unshipped"
  rm -f "$log.api"
  echo "  $(grep -vc '^\*REMOVED\*' <(tail -n +2 "$unshipped") || true) symbols added, $(grep -c '^\*REMOVED\*' "$unshipped" || true) removed since Shipped: ${unshipped#"$PWD"/}"
done

# The same build with warnings as errors must now pass: any API diagnostic left is one this script cannot fix
# (for instance RS0026, optional parameters on several overloads), and is shown here.
for project in "${projects[@]}"; do
  if ! dotnet build "$project" -nologo -tl:off -clp:NoSummary >"$log" 2>&1; then
    grep -E 'error|warning' "$log" | sort -u >&2
    echo "$(basename "$project") still does not build; see above." >&2
    exit 1
  fi
done
echo "Public API files are up to date."
