#!/usr/bin/env bash
# Draws the scaling simulation's day (bench/Loadstone.ScalingSim) into docs/images/scaling-day.png with gnuplot,
# installing gnuplot with apt-get when it is missing.
#   bench/scripts/plot-scaling.sh [minutes-csv] [output-png]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
csv="${1:-$root/bench/results/scaling/day-minutes.csv}"
out="${2:-$root/docs/images/scaling-day.png}"
[ -f "$csv" ] || { echo "no $csv: run dotnet run -c Release --project bench/Loadstone.ScalingSim first"; exit 1; }
if ! command -v gnuplot >/dev/null; then
  echo "installing gnuplot"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null
fi
mkdir -p "$(dirname "$out")"
summary="${csv%-minutes.csv}-summary.csv"
target="$(awk -F, 'NR==2 {print $2}' "$summary" 2>/dev/null || true)"
target="${target:-10}"
fixed="$(awk -F, 'NR==3 {print $1}' "$summary" 2>/dev/null || true)"
fixed="${fixed:-fixed pool}"

gnuplot <<GP
set terminal pngcairo size 1200,1000 font "DejaVu Sans,11"
set output '$out'
set datafile separator ','
set key autotitle columnhead
set grid
set xrange [*:*]
set xtics 2
set format x '%g:00'
set multiplot layout 3,1 title "A simulated day: target tracking on in-flight requests per instance (target $target) vs ${fixed//_/ } sized for the peak (1-minute averages)"
set lmargin 10
set key top left
set ylabel 'requests in flight'
set yrange [0:*]
plot '$csv' using 2:4 with lines lw 3 lc rgb '#88aadd' title 'measured in flight', \
     '' using 2:3 with lines lw 1 lc rgb '#222222' title 'expected (diurnal curve + noise + spike at 11:00)'
set ylabel 'instances'
plot '$csv' using 2:6 with lines lw 2 lc rgb '#228833' title 'target tracking: in service', \
     '' using 2:5 with lines lw 1 dt 2 lc rgb '#228833' title 'target tracking: desired', \
     '' using 2:7 with lines lw 1 lc rgb '#aadd99' title 'target tracking: all (booting, draining)', \
     '' using 2:9 with lines lw 2 lc rgb '#cc6677' title '${fixed//_/ }'
set ylabel 'in flight per instance'
set xlabel 'time of day'
set yrange [0:*]
plot $target*0.8 with filledcurves y1=$target*1.2 fs transparent solid 0.15 lc rgb '#228833' title '±20 % of target', \
     $target with lines lw 1 dt 2 lc rgb 'black' title 'target', \
     '$csv' using 2:8 with lines lw 2 lc rgb '#228833' title 'target tracking', \
     '' using 2:10 with lines lw 2 lc rgb '#cc6677' title '${fixed//_/ }'
unset multiplot
GP
echo "wrote $out"
