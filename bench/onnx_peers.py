#!/usr/bin/env python3
"""Glassbox on an imported PyTorch model beside the peers on the original, in one run:

  inference   ONNX Runtime (CPU execution provider) on the exported file, and `glassbox bench predict
              --model model.onnx` (the same file, imported), 4,096 Fashion-MNIST test images at batch
              4,096, best of 5 runs each
  KernelSHAP  Captum's KernelShap on the PyTorch model (7x7 grid feature mask, 2,048 samples, black
              baseline) and Glassbox's kernel (grid:7, 2,048 samples), best of 3
  DeepSHAP    Captum's DeepLiftShap with 100 training images as baselines and Glassbox's deep (100
              background images), best of 3

The model is the reference CNN's architecture in PyTorch (Conv2d(1, 32, 3) -> ReLU -> MaxPool2d(2)
-> Flatten -> Linear(5408, 128) -> ReLU -> Linear(128, 10), softmax for probabilities), seed 0,
untrained (speed does not depend on the weights).

  python3 bench/onnx_peers.py GLASSBOX [--data /usr/share/datasets/fashion-mnist]

Prints one JSON line per measurement and the ratios (peer seconds / Glassbox seconds).
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import onnxruntime
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_reference import load_split  # noqa: E402
from shap_reference import grid_segments  # noqa: E402
from torch_reference import ReferenceCNN, best_of, export_onnx, nchw, run_json  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("glassbox")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    model = ReferenceCNN().eval()
    test, _ = load_split(args.data, "t10k")
    train, _ = load_split(args.data, "train")
    x = nchw(test[:4096])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "reference.onnx")
        export_onnx(model, path)
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        feed = {"input": x.numpy()}
        ort_seconds = best_of(5, lambda: session.run(None, feed))
        ours = run_json([args.glassbox, "bench", "predict", "--model", path, "--data", args.data, "--images", "4096",
                         "--batch-size", "4096", "--repeats", "5"])
        rows = [{"measurement": "inference 4096 images", "onnxruntime_seconds": ort_seconds, "glassbox_seconds": ours["best_seconds"],
                 "glassbox_backend": ours["backend"], "ratio": ort_seconds / ours["best_seconds"]}]

        from captum.attr import DeepLiftShap, KernelShap
        image = x[:1]
        target = int(model(image).argmax())
        mask = torch.from_numpy(grid_segments(7)).reshape(1, 1, 28, 28)
        kernel = KernelShap(model)
        kernel_seconds = best_of(3, lambda: kernel.attribute(image, baselines=torch.zeros_like(image), target=target, feature_mask=mask,
                                                           n_samples=2048, perturbations_per_eval=256))
        generator = np.random.default_rng(0)
        background = nchw(train[generator.choice(len(train), 100, replace=False)])
        deep = DeepLiftShap(ReferenceCNN(probabilities=True).eval().requires_grad_(False))
        deep.model.load_state_dict(model.state_dict())
        deep_seconds = best_of(3, lambda: deep.attribute(image, baselines=background, target=target))
        explained = run_json([args.glassbox, "bench", "explain", "--model", path, "--data", args.data,
                              "--cases", "kernel:7:2048,deep:7:100", "--repeats", "3"])
        rows.append({"measurement": "KernelSHAP grid:7, 2048 samples", "captum_seconds": kernel_seconds,
                     "glassbox_seconds": explained["methods"]["kernel"]["seconds"], "ratio": kernel_seconds / explained["methods"]["kernel"]["seconds"]})
        rows.append({"measurement": "DeepSHAP, 100 background images", "captum_seconds": deep_seconds,
                     "glassbox_seconds": explained["methods"]["deep"]["seconds"], "ratio": deep_seconds / explained["methods"]["deep"]["seconds"]})
    versions = {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__}
    import captum
    versions["captum"] = captum.__version__
    for row in rows:
        print(json.dumps(dict(row, versions=versions)))


if __name__ == "__main__":
    main()
