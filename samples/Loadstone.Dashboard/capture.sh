#!/usr/bin/env bash
# Re-takes docs/images/dashboard.png: runs the dashboard in a detached tmux window, captures the screen once the
# catalog pool fails open and the search group has scaled out to 5 (or at 20 s of the scenario), and renders the text
# with ImageMagick in a monospace font.
# Needs: tmux, imagemagick, fonts-dejavu-core (apt-get install -y tmux imagemagick fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/images/dashboard.png
work=$(mktemp -d)
session="loadstone-dashboard-$$"
dotnet build samples/Loadstone.Dashboard -v quiet >/dev/null
tmux new-session -d -s "$session" -x 172 -y 60 "dotnet run --no-build --project samples/Loadstone.Dashboard; sleep 30"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT

# Up to 60 s: keep the first screen after the 15 s mark that shows the catalog failing open and the search group at
# its desired 5 instances in service, else the one at 20 s.
for _ in $(seq 1 120); do
  sleep 0.5
  tmux capture-pane -p -t "$session" > "$work/screen.txt"
  seconds=$(grep -o 't = [0-9]*' "$work/screen.txt" | head -1 | grep -o '[0-9]*$' || echo 0)
  if [ "${seconds:-0}" -ge 15 ] && grep -q 'FAILING OPEN' "$work/screen.txt" \
    && grep -q 'desired 5 · max 5 · in service 5' "$work/screen.txt"; then break; fi
  if [ "${seconds:-0}" -ge 20 ]; then break; fi
done

# Trim blank lines at both ends, escape ImageMagick's % escapes, render each line (a multi-line label can exceed the
# policy's limits), then stack them.
sed -e 's/[[:space:]]*$//' -e 's/%/%%/g' "$work/screen.txt" | sed -e '/./,$!d' | tac | sed -e '/./,$!d' | tac > "$work/frame.txt"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  /usr/bin/convert -background '#1e1e2e' -fill '#e0e0e0' -font DejaVu-Sans-Mono -pointsize 15 label:"${line:- }" "$(printf '%s/line%03d.png' "$work" "$n")"
done < "$work/frame.txt"
/usr/bin/convert -background '#1e1e2e' "$work"/line*.png -gravity West -append +repage -bordercolor '#1e1e2e' -border 16 -depth 8 "$out"
echo "wrote $out"
