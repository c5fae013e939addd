#!/usr/bin/env bash
# Mutation testing of folders (or files) of src/Loadstone with Stryker.NET (the local tool in .config/dotnet-tools.json),
# against tests/Loadstone.Tests. docs/testing.md ("Mutation testing") reports the scores and the time each folder takes.
#   bench/scripts/mutation.sh Balancing             # Balancing/*.cs
#   bench/scripts/mutation.sh Health                # Health/*.cs
#   bench/scripts/mutation.sh Pools                 # Pools/*.cs (ServicePool and its extracted parts)
#   bench/scripts/mutation.sh Balancing Health      # both in one run (one build, one initial test run)
#   bench/scripts/mutation.sh Health/SlowStart.cs   # one file (any path under src/Loadstone, globs allowed)
#   bench/scripts/mutation.sh Pools -- --concurrency 1   # arguments after -- go to dotnet stryker
# Settings shared by every run are in tests/Loadstone.Tests/stryker-config.json (per-test coverage, Standard mutation
# level, 2 workers). Output (not committed): bench/results/tmp/mutation/<targets>-<UTC time>/ (reports/mutation-report.
# {html,json,md}, summary.md: the score per file and every mutant left, load.txt: the load average once a minute).
# The run is niced (nice -n 10) so that builds and tests run next to it keep their share of the CPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if [ $# -lt 1 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

mutate=()
names=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  target="${1%/}"; shift
  case "$target" in
    *.cs|*\**) mutate+=("$target") ;;
    *)
      if [ ! -d "src/Loadstone/$target" ]; then
        echo "No folder src/Loadstone/$target" >&2
        exit 2
      fi
      mutate+=("$target/*.cs") ;;
  esac
  names+=("$(echo "$target" | tr '/*' '-_' | sed 's/\.cs$//')")
done
[ "${1:-}" = "--" ] && shift

# Tests left out, for speed only: the performance-lab and fleet-simulator smoke tests (child processes, seconds each),
# the README web app test (a child process) and the Redis connection tests (redis-server). A mutant that only they
# would kill counts as survived, so the scores can only be lower for it, never higher.
filter='FullyQualifiedName!~Loadstone.Tests.LoadLab.&FullyQualifiedName!~Loadstone.Tests.FleetSim.&FullyQualifiedName!~Loadstone.Tests.Readme.ReadmeWebAppTests&FullyQualifiedName!~Loadstone.Tests.Connections.RedisConnectionTests'

name="$(IFS=+; echo "${names[*]}")"
out="$root/bench/results/tmp/mutation/$name-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

dotnet tool restore >/dev/null

# The load average once a minute while Stryker runs, so the report can say what else the machine was doing.
( while sleep 60; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; done ) > "$out/load.txt" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

args=()
for m in "${mutate[@]}"; do args+=(--mutate "**/$m"); done

start=$(date +%s)
status=0
( cd tests/Loadstone.Tests && nice -n 10 dotnet stryker --skip-version-check \
    --test-case-filter "$filter" --output "$out" "${args[@]}" "$@" ) || status=$?
end=$(date +%s)

echo "Stryker exit code $status; $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s; load average now $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/time.txt"
if [ -f "$out/reports/mutation-report.json" ]; then
  python3 bench/scripts/mutation-summary.py "$out/reports/mutation-report.json" | tee "$out/summary.md"
fi
exit "$status"
