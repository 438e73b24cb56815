#!/usr/bin/env bash
# Kernel GFLOP/s beside numpy's BLAS, measured in the same run on the same machine: first with the
# kernels' default parameters, then `glassbox tune` (into a temporary cache, so the user's is left
# alone) and the same cases with the tuned parameters.
# Usage: scripts/bench-kernels.sh [extra glassbox bench kernels flags, e.g. --backends opencl]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import numpy" 2>/dev/null || pip install numpy
swift build -c release --product glassbox
peer=$(mktemp)
tuned=$(mktemp -d)
trap 'rm -rf "$peer" "$tuned"' EXIT
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "== default kernel parameters"
# numpy right before each glassbox run, so that both see the host in the same state.
python3 bench/numpy_gemm.py > "$peer"
GLASSBOX_TUNING_CACHE=none .build/release/glassbox bench kernels --peer "$peer" "$@"
echo "== glassbox tune, then the tuned parameters"
GLASSBOX_TUNING_CACHE="$tuned/tuning.json" .build/release/glassbox tune
python3 bench/numpy_gemm.py > "$peer"
GLASSBOX_TUNING_CACHE="$tuned/tuning.json" .build/release/glassbox bench kernels --peer "$peer" "$@"
