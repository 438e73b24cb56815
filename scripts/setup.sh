#!/usr/bin/env bash
# Installs what Glassbox needs from Debian's packages, only when missing:
# the OpenCL ICD loader and headers, PoCL (OpenCL on the CPU), zlib, HDF5 (the C library the tests
# check Glassbox's reader of .keras weights against), Graphviz (model diagrams), scikit-learn's
# data (the breast cancer table, the default tabular data set)
# and Fashion-MNIST (the default data set, in /usr/share/datasets/fashion-mnist), plus any in
# EXTRA_PACKAGES (the tests add chromium, to check that HTML reports render), and the Python
# modules in PYTHON_MODULES from PyPI (the tests add onnxruntime and numpy, to run exported models).
set -euo pipefail

if [ -n "${PYTHON_MODULES:-}" ]; then
    command -v python3 >/dev/null || { echo "setup: python3 is needed for ${PYTHON_MODULES}" >&2; exit 1; }
    for module in $PYTHON_MODULES; do
        python3 -c "import $module" 2>/dev/null && continue
        echo "setup: pip install $module" >&2
        python3 -m pip install --quiet "$module"
    done
fi

packages=(ocl-icd-opencl-dev pocl-opencl-icd zlib1g-dev libhdf5-dev graphviz dataset-fashion-mnist python3-sklearn ${EXTRA_PACKAGES:-})
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
