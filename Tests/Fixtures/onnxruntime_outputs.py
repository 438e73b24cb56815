#!/usr/bin/env python3
"""Runs an ONNX model in ONNX Runtime (CPU) for the tests: reads little-endian float32 inputs
already in the model's input layout, writes its first output as little-endian float32.

    python3 onnxruntime_outputs.py MODEL.onnx INPUTS.f32 OUTPUTS.f32 [MODEL INPUTS OUTPUTS ...]
"""
import sys

import numpy as np
import onnxruntime


def main(model, inputs, outputs):
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    sample = [int(d) for d in feed.shape[1:]]
    x = np.fromfile(inputs, dtype="<f4").reshape([-1] + sample)
    session.run(None, {feed.name: x})[0].astype("<f4").tofile(outputs)
    print(onnxruntime.__version__)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or len(arguments) % 3:
        sys.exit(__doc__)
    for start in range(0, len(arguments), 3):
        main(*arguments[start:start + 3])
