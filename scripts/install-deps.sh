#!/usr/bin/env bash
# Installs every build, test and run dependency of Keel from Debian's packages.
# Idempotent and non-interactive; run as root on Debian 12.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  protobuf-compiler libprotobuf-dev
  libboost-dev libboost-system-dev
  libgoogle-glog-dev libgflags-dev libssl-dev zlib1g-dev libunwind-dev
  libgoogle-perftools-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  procps iproute2 curl ca-certificates python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
fi
