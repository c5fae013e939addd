#!/usr/bin/env bash
# Draws the performance lab's plots from bench/results into docs/images (gnuplot; install-peers.sh installs it).
#   bench/scripts/plot.sh [results-dir] [images-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
results="${1:-$root/bench/results}"
images="${2:-$root/docs/images}"
mkdir -p "$images"
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (bench/scripts/install-peers.sh installs it)"; exit 1; }

common='set terminal pngcairo size 1000,600 font "DejaVu Sans,11"; set grid; set key top left; set datafile separator " "'

# Latency CDF on a "nines" axis: x = 1/(1-p), so 50 %, 90 %, 99 %, 99.9 % are evenly spaced.
# $1 = cdf data file, $2 = output png, $3 = title, $4 = optional egrep of the block names to draw.
cdf() {
  local file="$1" out="$2" title="$3" filter="${4:-.}"
  [ -f "$file" ] || { echo "skip $out: no $file"; return; }
  local names; read -r -a names <<<"$(grep -m1 '^# blocks:' "$file" | sed 's/^# blocks: //')"
  local plots=() i=0
  for name in "${names[@]}"; do
    if echo "$name" | grep -Eq -- "$filter"; then
      local style="lines lw 2"
      case "$name" in healthy/*) style="lines lw 1 dt 2";; esac
      plots+=("'$file' index $i using (1/(1-\$2 < 1e-6 ? 1e-6 : 1-\$2)):1 with $style title '${name//_/ }'")
    fi
    i=$((i+1))
  done
  [ ${#plots[@]} -gt 0 ] || { echo "skip $out: no matching blocks"; return; }
  local joined; joined="$(printf '%s, ' "${plots[@]}")"; joined="${joined%, }"
  gnuplot -e "$common; set output '$out'; set title '$title'; set logscale xy; set xrange [1:10000];
    set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000);
    set xlabel 'percentile'; set ylabel 'latency (ms)'; plot $joined"
  echo "wrote $out"
}

# Bars of one numeric column of a summary CSV. $1 csv, $2 png, $3 title, $4 column number, $5 ylabel, $6 condition filter,
# $7 label format
bars() {
  local file="$1" out="$2" title="$3" col="$4" ylabel="$5" cond="${6:-}" fmt="${7:-%.0f}"
  [ -f "$file" ] || { echo "skip $out: no $file"; return; }
  local tmp; tmp="$(mktemp)"
  awk -F, -v c="$col" -v cond="$cond" 'NR>1 && (cond=="" || $2==cond) {print $3, $c}' "$file" >"$tmp"
  gnuplot -e "$common; set output '$out'; set title '$title'; set style fill solid 0.8 border -1; set boxwidth 0.6;
    set yrange [0:*]; set ylabel '$ylabel'; set key off; set xtics nomirror;
    plot '$tmp' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:(sprintf('$fmt', \$2)) with labels offset 0,1"
  rm -f "$tmp"
  echo "wrote $out"
}

# Throughput bars with the range over rounds as error bars. $1 csv, $2 png, $3 title
throughput() {
  local file="$1" out="$2" title="$3"
  [ -f "$file" ] || { echo "skip $out: no $file"; return; }
  local tmp; tmp="$(mktemp)"
  awk -F, 'NR>1 {print $3, $5, $6, $7}' "$file" >"$tmp"
  gnuplot -e "$common; set output '$out'; set title '$title'; set style fill solid 0.8 border -1; set boxwidth 0.6;
    set yrange [0:*]; set ylabel 'requests/s (bar: median; whiskers: slowest and fastest round)'; set key off;
    plot '$tmp' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0,
      '' using 0:(\$2):(sprintf('%.0f', \$2)) with labels offset 2.5,0.7"
  rm -f "$tmp"
  echo "wrote $out"
}

# Grouped bars of p99 per kind, healthy vs one-slow (scenario 2).
slow_p99() {
  local file="$results/slow-summary.csv" out="$images/lab-slow-p99.png"
  [ -f "$file" ] || { echo "skip $out"; return; }
  local tmp; tmp="$(mktemp)"
  awk -F, 'NR>1 {v[$3,$2]=$9; if (!($3 in seen)) {seen[$3]=1; order[n++]=$3}} END {for (i=0;i<n;i++) print order[i], v[order[i],"healthy"], v[order[i],"one-slow"]}' "$file" >"$tmp"
  gnuplot -e "$common; set output '$out'; set title 'Scenario 2: p99 latency, all healthy vs one backend 10x slower (median of rounds)';
    set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1; set yrange [0:*];
    set ylabel 'p99 latency (ms)'; set key top right;
    plot '$tmp' using 2:xtic(1) title 'all healthy' lc rgb '#88aacc', '' using 3 title 'one slow' lc rgb '#cc4444'"
  rm -f "$tmp"
  echo "wrote $out"
}

cdf "$results/homogeneous-cdf.dat" "$images/lab-homogeneous-cdf.png" "Scenario 1: latency CDF, 10 equal backends (all rounds merged)"
throughput "$results/homogeneous-summary.csv" "$images/lab-homogeneous-throughput.png" "Scenario 1: throughput, 10 equal backends"
cdf "$results/slow-cdf.dat" "$images/lab-slow-cdf.png" "Scenario 2: latency CDF with one backend 10x slower (dashed: peak EWMA, all healthy)" "^one-slow/|^healthy/peakewma$"
bars "$results/homogeneous-summary.csv" "$images/lab-homogeneous-ratio.png" "Scenario 1: throughput / direct client in the same round (median of rounds)" 13 "ratio to the direct client" "" "%.2f"
slow_p99
bars "$results/failure-summary.csv" "$images/lab-failure-errors.png" "Scenario 3: failed client requests (503 backend + killed backend, all rounds)" 12 "failed requests"
cdf "$results/fleet-cdf.dat" "$images/lab-fleet-cdf.png" "Scenario 5: simulated latency CDF, 10,000 endpoints, virtual time"
