#!/usr/bin/env bash
# Training and inference of the reference CNN beside Keras on TensorFlow CPU, in one run on one
# machine: one epoch (batch 32, Fashion-MNIST) and batched inference (4,096 images, batch 4,096).
# Keras is a benchmark peer, not a dependency: this installs tensorflow-cpu with pip when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import tensorflow" 2>/dev/null || pip install tensorflow-cpu
swift build -c release --product glassbox
glassbox=.build/release/glassbox
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "== one epoch, batch 32"
$glassbox bench training --epochs "${EPOCHS:-1}"
TF_CPP_MIN_LOG_LEVEL=2 python3 bench/keras_reference.py train --epochs "${EPOCHS:-1}" --batch-size 32
echo "== inference, 4096 images, batch 4096"
$glassbox bench predict --images 4096 --batch-size 4096 --repeats 10
TF_CPP_MIN_LOG_LEVEL=2 python3 bench/keras_reference.py predict --images 4096 --batch-size 4096 --repeats 10
