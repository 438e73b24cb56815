#!/usr/bin/env python3
"""Keras beside Glassbox on the residual example (examples/residual-cnn.json): one epoch of Adam
(Keras's defaults, batch 32) on Fashion-MNIST, then the test accuracy, so that the accuracy Glassbox
records for the example has its peer's figure from the same data beside it.

  python3 bench/keras_residual.py [--data /usr/share/datasets/fashion-mnist] [--epochs 1] [--seed 0]

Prints one JSON line: versions, epochs, train loss and accuracy, test loss and accuracy, seconds.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from keras_reference import load_split  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "examples", "residual-cnn.json")) as f:
        model = keras.models.model_from_json(f.read())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = load_split(args.data, "train")
    tx, ty = load_split(args.data, "t10k")
    start = time.time()
    history = model.fit(x, y, epochs=args.epochs, batch_size=32, shuffle=True, verbose=0)
    seconds = time.time() - start
    loss, accuracy = model.evaluate(tx, ty, batch_size=256, verbose=0)
    print(json.dumps({"keras": keras.__version__, "numpy": np.__version__, "epochs": args.epochs,
                      "train_loss": history.history["loss"][-1], "train_accuracy": history.history["accuracy"][-1],
                      "test_loss": loss, "test_accuracy": accuracy, "seconds": seconds}))


if __name__ == "__main__":
    main()
