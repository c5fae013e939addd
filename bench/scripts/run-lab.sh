#!/usr/bin/env bash
# Runs every performance-lab scenario with the settings docs/performance-lab.md reports, then draws the plots.
# About 20 minutes on 2 cores. Results go to bench/results, plots to docs/images.
#   bench/scripts/run-lab.sh            # full run
#   bench/scripts/run-lab.sh --short    # a smoke run of every scenario (seconds each; results in a temp folder)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if [ "${1:-}" != "--short" ]; then
  bench/scripts/install-peers.sh || echo "peers not installed: HAProxy and nginx will be reported as skipped"
fi

timeout 600 dotnet build bench/Loadstone.LoadLab -c Release
lab() { timeout 1800 dotnet bench/Loadstone.LoadLab/bin/Release/net10.0/Loadstone.LoadLab.dll "$@"; }

if [ "${1:-}" = "--short" ]; then
  for s in homogeneous slow failure zones fleet outage slownode; do lab "$s" --short; done
  exit 0
fi

lab homogeneous --duration 2s --warmup 500ms --rounds 10
lab slow --duration 3s --warmup 1s --rounds 4
lab failure --duration 10s --warmup 1s --rounds 3
lab zones --duration 3s --warmup 500ms --rounds 3
lab fleet --requests 2000000
lab outage --duration 5s --warmup 1s --rounds 3
lab slownode --duration 30s --warmup 2s --rounds 2
bench/scripts/plot.sh
