#!/bin/sh
# Runs a command and stops it when the process PARENT_PID is gone, so a proxy started by the performance lab
# never outlives the lab, even when the lab is killed with SIGKILL.
#   with-parent.sh PARENT_PID command args...
parent="$1"; shift
"$@" &
child=$!
trap 'kill "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 1
done
kill "$child" 2>/dev/null
wait "$child"
