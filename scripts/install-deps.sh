#!/usr/bin/env bash
# Installs careflow's build and test dependencies from Debian packages.
# Idempotent: packages already present are skipped, so re-running is cheap and safe.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  catch2 librandom123-dev libyaml-cpp-dev libcli11-dev libfmt-dev
  libboost-graph-dev libtbb-dev libhdf5-dev hdf5-tools libssl-dev
  python3-numpy python3-pandas python3-h5py python3-pytest python3-xarray python3-yaml
  pybind11-dev python3-pybind11 python3-dev python3-matplotlib
  clang libclang-rt-14-dev
  python3-nbclient python3-nbformat python3-ipykernel jupyter-nbconvert python3-notebook
  python3-simpy3
  libxlsxwriter-dev libpugixml-dev libzip-dev python3-openpyxl
  chromium ffmpeg fonts-dejavu-core
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg (a parallel build, unattended upgrades) instead of failing.
lock=(-o DPkg::Lock::Timeout=900)
$SUDO apt-get "${lock[@]}" update -qq
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
