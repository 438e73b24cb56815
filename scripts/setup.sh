#!/usr/bin/env bash
# Installs what Glassbox needs from Debian's packages, only when missing:
# the OpenCL ICD loader and headers, PoCL (OpenCL on the CPU), zlib, Graphviz (model diagrams)
# and Fashion-MNIST (the default data set, in /usr/share/datasets/fashion-mnist), plus any in
# EXTRA_PACKAGES (the tests add chromium, to check that HTML reports render).
set -euo pipefail

packages=(ocl-icd-opencl-dev pocl-opencl-icd zlib1g-dev graphviz dataset-fashion-mnist ${EXTRA_PACKAGES:-})
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
