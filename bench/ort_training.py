#!/usr/bin/env python3
"""One training epoch of an ONNX model with ONNX Runtime's training API (onnxruntime-training,
on-device training: onnxruntime.training.artifacts + onnxruntime.training.api), CPU execution
provider. Run by torch_peers.py with an interpreter that has onnxruntime-training (a separate
virtual environment: the package replaces `onnxruntime`); prints one JSON object.

  python3 bench/ort_training.py LOGITS.onnx [--data DIR] [--batch-size 32] [--seed 0]

LOGITS.onnx takes `input` (N, 1, 28, 28) float32 and gives `logits` (N, 10). The artifacts add
softmax cross-entropy (mean over the batch) and Adam with Keras's defaults (onnxblock's AdamW with
weight decay 0, lr 1e-3, betas 0.9/0.999, eps 1e-7). The epoch is timed as Keras's callback does:
the loop over the shuffled batches (train_step, optimizer step, gradient reset), data in memory.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime
from onnxruntime.training import artifacts, onnxblock
from onnxruntime.training.api import CheckpointState, Module, Optimizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_reference import DEFAULT_DATA, load_split  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="an ONNX file with input `input` and output `logits`")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    onnxruntime.set_default_logger_severity(3)
    x, y = load_split(args.data, "train")
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    model = onnx.load(args.model)
    trainable = [initializer.name for initializer in model.graph.initializer]
    with tempfile.TemporaryDirectory() as folder:
        artifacts.generate_artifacts(model, requires_grad=trainable, frozen_params=[],
                                     loss=artifacts.LossType.CrossEntropyLoss,
                                     optimizer=onnxblock.optim.AdamW(betas=(0.9, 0.999), eps=1e-7, weight_decay=0.0),
                                     artifact_directory=folder)
        # onnxblock builds the optimizer graph with the installed onnx's IR version (14 with onnx
        # 1.23), newer than this onnxruntime-training reads (10); the graph needs nothing newer
        # than the training model's own IR version.
        optimizer_path = os.path.join(folder, "optimizer_model.onnx")
        optimizer_model = onnx.load(optimizer_path)
        optimizer_model.ir_version = min(optimizer_model.ir_version, model.ir_version)
        onnx.save(optimizer_model, optimizer_path)
        state = CheckpointState.load_checkpoint(os.path.join(folder, "checkpoint"))
        module = Module(os.path.join(folder, "training_model.onnx"), state, os.path.join(folder, "eval_model.onnx"), device="cpu")
        optimizer = Optimizer(optimizer_path, module)
        optimizer.set_learning_rate(1e-3)
        module.train()
        order = np.random.default_rng(args.seed).permutation(len(x))
        losses = []
        start = time.perf_counter()
        for begin in range(0, len(x), args.batch_size):
            batch = order[begin:begin + args.batch_size]
            losses.append(module(x[batch], y[batch]))
            optimizer.step()
            module.lazy_reset_grad()
        seconds = time.perf_counter() - start
    print(json.dumps({"framework": "onnxruntime-training", "onnxruntime": onnxruntime.__version__, "train_images": len(x),
                      "batch_size": args.batch_size, "epoch_seconds": seconds,
                      "mean_loss": float(np.mean([float(np.asarray(loss)) for loss in losses]))}))


if __name__ == "__main__":
    main()
