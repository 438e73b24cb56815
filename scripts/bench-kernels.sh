#!/usr/bin/env bash
# Kernel GFLOP/s beside numpy's BLAS, measured in the same run on the same machine.
# Usage: scripts/bench-kernels.sh [extra glassbox bench kernels flags, e.g. --backends opencl]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import numpy" 2>/dev/null || pip install numpy
swift build -c release --product glassbox
peer=$(mktemp)
trap 'rm -f "$peer"' EXIT
python3 bench/numpy_gemm.py > "$peer"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
.build/release/glassbox bench kernels --peer "$peer" "$@"
