#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (as root): installs the Debian packages in
# deploy/packages.txt that are missing, then configures and builds one CMake preset.
#
#   deploy/setup.sh [PRESET...]      default preset: dev      (SIPVAULT_SKIP_BUILD=1: packages only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { printf '[setup] %s\n' "$*"; }

install_missing_packages() {
  local wanted=() missing=()
  mapfile -t wanted < <(grep -v '^\s*#' deploy/packages.txt | grep -v '^\s*$')
  # node/npm may come from elsewhere (nodesource, nvm): only ask apt when the command is absent.
  for p in "${wanted[@]}"; do
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "all packages present"; return; fi
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: ${missing[*]} -- run this script as root (or install them) and retry"; exit 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package installs must not start system services (mariadb, kamailio) on ports our tests use.
  local had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ $had_policy -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ $had_policy -eq 0 ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ $had_policy -eq 0 ] && rm -f /usr/sbin/policy-rc.d
  disable_new_services "${missing[@]}"
  return 0
}

# The daemons those packages ship (MariaDB, Kamailio, rtpengine, Prometheus) are tools and peers
# for sipvault's own private instances: policy-rc.d kept them from starting now, and this keeps
# them from starting at the next boot on their default ports. Only units of packages this run
# installed; a service the machine already had is left as it was.
disable_new_services() {
  command -v systemctl >/dev/null || return 0
  local units=() f
  while read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] && units+=("$(basename "$f")")  # aliases (mysql.service) follow their unit
  done < <(dpkg-query -L "$@" 2>/dev/null | grep -E '^/(usr/)?lib/systemd/system/[^/@]+\.service$' | sort -u)
  [ ${#units[@]} -eq 0 ] && return 0
  log "not starting at boot: ${units[*]}"
  for f in "${units[@]}"; do systemctl disable --quiet "$f" 2>/dev/null || true; done
}

build_preset() {
  local preset=$1
  log "configure + build preset '$preset'"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "${SIPVAULT_JOBS:-$(nproc)}"
}

install_missing_packages
[ "${SIPVAULT_SKIP_BUILD:-0}" = 1 ] && exit 0
presets=("$@"); [ ${#presets[@]} -eq 0 ] && presets=(dev)
for p in "${presets[@]}"; do build_preset "$p"; done
