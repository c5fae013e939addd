#!/usr/bin/env bash
# Installs the peers the performance lab compares against (HAProxy, nginx) and gnuplot for the plots,
# through apt, only when they are missing. Safe to run again. Needs root (or sudo).
set -euo pipefail

missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)

if [ ${#missing[@]} -eq 0 ]; then
  echo "haproxy, nginx and gnuplot are installed."
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
timeout 600 $SUDO apt-get update
timeout 900 $SUDO apt-get install -y --no-install-recommends "${missing[@]}"

# The packages' own services are not wanted: the lab starts its own instances on loopback ports.
for svc in haproxy nginx; do
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true
    $SUDO systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
  if command -v service >/dev/null 2>&1; then
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
  fi
done

haproxy -v | head -1
nginx -v 2>&1
gnuplot --version
