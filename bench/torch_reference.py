"""The reference CNN in PyTorch, and what the PyTorch peers (onnx_peers.py, torch_peers.py) share.

  ReferenceCNN        Conv2d(1, 32, 3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(5408, 128) -> ReLU
                      -> Linear(128, 10) [-> Softmax]; NCHW input (N, 1, 28, 28). flatten="nhwc" flattens
                      in Keras's (and Glassbox's) channels-last order, so a Glassbox model file's dense
                      kernel copies 1:1; "nchw" is PyTorch's own order.
  load_glassbox_model the weights of a Glassbox safetensors file (format 1 `layers.<i>.*` or format 2
                      `<layer name>.*`) copied into an NHWC-flatten ReferenceCNN.
  glassbox_sample_indices
                      the training images Glassbox draws as a background (`deep`, `gradient-shap`):
                      SplitMix64 seeded with the seed, a partial Fisher-Yates shuffle of 0..<total.
  export_onnx, best_of, run_json, cpu_description, nchw
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference as kr  # noqa: E402

MASK64 = (1 << 64) - 1


class ChannelsLastFlatten(nn.Module):
    """Flattens (N, C, H, W) in (H, W, C) order, as Keras's Flatten does on channels-last tensors."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


class ReferenceCNN(nn.Module):
    def __init__(self, probabilities=True, flatten="nchw"):
        super().__init__()
        if flatten not in ("nchw", "nhwc"):
            raise ValueError(f"flatten must be nchw or nhwc, got {flatten}")
        self.body = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                                  ChannelsLastFlatten() if flatten == "nhwc" else nn.Flatten(),
                                  nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Linear(128, 10))
        self.softmax = nn.Softmax(dim=1) if probabilities else nn.Identity()

    def forward(self, x):
        return self.softmax(self.body(x))


# The reference CNN as Glassbox's `architecture` metadata lists it (Sequential positions 0-4).
REFERENCE_LAYERS = [
    {"type": "Conv2D", "filters": 32, "kernelSize": [3, 3], "strides": [1, 1], "padding": "valid", "activation": "relu"},
    {"type": "MaxPool2D", "poolSize": [2, 2], "strides": [2, 2]},
    {"type": "Flatten"},
    {"type": "Dense", "units": 128, "activation": "relu"},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]
# Sequential position of each weighted layer -> (PyTorch module in ReferenceCNN.body, Keras kernel -> PyTorch weight).
WEIGHTED = {0: (0, lambda k: k.transpose(3, 2, 0, 1)),   # HWIO [3,3,1,32] -> OIHW [32,1,3,3]
            3: (4, lambda k: k.T),                          # [5408,128] (NHWC flatten) -> [128,5408]
            4: (6, lambda k: k.T)}                          # [128,10] -> [10,128]


def load_glassbox_model(path, probabilities=True):
    """A ReferenceCNN (NHWC flatten, eval mode) holding the weights of the Glassbox model file at path.
    Exits with a message when the file is missing, not safetensors, or not the reference CNN."""
    if not os.path.isfile(path):
        raise SystemExit(f"error: model file {path} not found")
    try:
        tensors, metadata = kr.read_safetensors(path)
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SystemExit(f"error: {path}: not a safetensors model file ({error})")
    names = [f"layers.{i}" for i in range(len(REFERENCE_LAYERS))]
    if "architecture" in metadata:
        architecture = json.loads(metadata["architecture"])
        layers = [{k: v for k, v in layer.items() if k in REFERENCE_LAYERS[i]} if i < len(REFERENCE_LAYERS) else layer
                  for i, layer in enumerate(architecture.get("layers", []))]
        if architecture.get("input_shape") != [28, 28, 1] or layers != REFERENCE_LAYERS:
            raise SystemExit(f"error: {path} is not the reference CNN (input {architecture.get('input_shape')}, "
                             f"layers {architecture.get('layers')})")
        if metadata.get("format_version", "1") != "1" and architecture.get("names"):
            names = architecture["names"]
    model = ReferenceCNN(probabilities=probabilities, flatten="nhwc")
    with torch.no_grad():
        for position, (module, convert) in WEIGHTED.items():
            target = model.body[module]
            for kind, parameter in (("kernel", target.weight), ("bias", target.bias)):
                name = f"{names[position]}.{kind}"
                value = tensors.get(name)
                if value is None or isinstance(value, str):
                    raise SystemExit(f"error: {path}: no F32/F64/F16 tensor {name}")
                value = convert(value) if kind == "kernel" else value
                if tuple(value.shape) != tuple(parameter.shape):
                    raise SystemExit(f"error: {path}: {name} has shape {list(value.shape)} (converted), expected {list(parameter.shape)}")
                parameter.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return model.eval()


def nchw(images):
    """(N, 28, 28, 1) float32 numpy -> contiguous (N, 1, 28, 28) torch tensor."""
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))


def glassbox_sample_indices(count, total, seed=0):
    """The indices Glassbox's Dataset.trainingSample(count:seed:) picks: SplitMix64 draws, a partial
    Fisher-Yates shuffle (position p swaps with p + draw mod (total - p))."""
    state, order = seed & MASK64, list(range(total))
    for position in range(min(max(count, 0), total)):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        other = position + z % (total - position)
        order[position], order[other] = order[other], order[position]
    return order[:min(max(count, 0), total)]


def export_onnx(model, path, output="probabilities"):
    """The model as ONNX (opset 17, TorchScript exporter): input `input` (batch, 1, 28, 28), output
    `output` (batch, 10), the batch dimension dynamic."""
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=[output],
                      dynamic_axes={"input": {0: "batch"}, output: {0: "batch"}}, opset_version=17, dynamo=False)


def best_of(runs, function, warmups=1):
    """Minimum wall seconds of `runs` calls after `warmups` untimed calls."""
    for _ in range(warmups):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def run_json(command, **kwargs):
    """Runs a command that prints one JSON document on stdout; exits with its stderr when it fails."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"error: {' '.join(map(str, command))} exited with {result.returncode}:\n{result.stderr.strip()}")
    return json.loads(result.stdout)


def cpu_description():
    """{"cpu": model name from /proc/cpuinfo, "cores": CPUs this process may use}."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": model, "cores": cores}
