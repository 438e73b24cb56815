#!/usr/bin/env bash
# The fastest peers side by side with Glassbox, in one run on one machine (bench/torch_peers.py):
# one training epoch (batch 32) beside Keras, PyTorch on the CPU and ONNX Runtime's training API;
# inference (4,096 images, batch 4,096) beside PyTorch and ONNX Runtime; and Captum's KernelShap,
# Lime, ShapleyValueSampling, IntegratedGradients and DeepLiftShap beside Glassbox's explainers,
# all on one model file (MODEL=..., default out/model.safetensors from `make demo`, the model
# bench-explain.sh compares with shap and lime; a quick one is trained when it is missing)
# with its weights copied into PyTorch, on test image INDEX (default 0).
# The peers are benchmark peers, not dependencies: this installs them with pip when missing (torch
# from $PIP_FIND_LINKS when it holds a CPU-only wheel), and onnxruntime-training, which replaces
# the `onnxruntime` module, into a virtual environment of its own (ORT_TRAINING_VENV, default
# .build/ort-training-venv) that sees the other packages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# A CPU-only torch wheel in $PIP_FIND_LINKS is taken as it is: a plain `pip install torch` would
# prefer a newer CUDA build from PyPI (gigabytes of CUDA libraries a CPU run never loads).
if ! python3 -c "import torch" 2>/dev/null; then
    wheel=$(ls "${PIP_FIND_LINKS:-/nonexistent}"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$wheel" ]; then pip install "$wheel"; else pip install torch; fi
fi
python3 -c "import tensorflow, captum, onnxruntime, onnx, sklearn" 2>/dev/null || pip install tensorflow-cpu captum onnxruntime onnx scikit-learn
venv=${ORT_TRAINING_VENV:-.build/ort-training-venv}
if ! "$venv/bin/python" -c "import onnxruntime.training.api" 2>/dev/null; then
    { python3 -m venv --system-site-packages "$venv" && "$venv/bin/pip" install --no-deps onnxruntime-training; } ||
        echo "bench-peers: onnxruntime-training could not be installed; the run reports it as not available" >&2
fi
swift build -c release --product glassbox
glassbox=.build/release/glassbox
model=${MODEL:-out/model.safetensors}
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
if [ -f "$model" ]; then set -- --model "$model"; else echo "bench-peers: no $model; training a quick model" >&2; set --; fi
TF_CPP_MIN_LOG_LEVEL=2 python3 bench/torch_peers.py "$glassbox" "$@" --index "${INDEX:-0}" --ort-training-python "$venv/bin/python"
