#!/usr/bin/env bash
# Installs the Debian packages xbarsim needs, only those missing, saying which.
# Sourced by ./run and ./test.
set -euo pipefail

xbarsim_packages=(
  cmake g++ make pkg-config
  libeigen3-dev libtbb-dev nlohmann-json3-dev catch2 libcli11-dev libfmt-dev
  libbenchmark-dev pybind11-dev python3-dev python3-numpy python3-pytest python3-matplotlib
  ngspice libopenmpi-dev openmpi-bin
  libonnx-dev libprotobuf-dev zlib1g-dev dataset-fashion-mnist
)

xbarsim_install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mkdir -p build/logs
  local log=build/logs/apt.log
  echo "xbarsim: installing ${#missing[@]} missing Debian packages: ${missing[*]} (log: $log)" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if ! { "${sudo[@]}" apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
           --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "xbarsim: the package install failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}

xbarsim_install_missing "${xbarsim_packages[@]}"
