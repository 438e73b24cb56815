#!/usr/bin/env python3
"""Writes the example architectures (examples/*.json) from Keras itself, and the fixture that checks
Glassbox's seed functional model against Keras (Tests/Fixtures/seed-functional.*).

  examples/reference-cnn.json    Sequential: Conv2D(32, 3x3, relu), MaxPooling2D 2x2, Flatten,
                                 Dense(128, relu), Dense(10, softmax) on 28x28x1 (model.to_json())
  examples/seed-functional.json  the workflow's functional model, Input(28,28,1) -> Dense(128, relu)
                                 -> Lambda(tf.reduce_sum(x, axis=1)) -> Dense(10, softmax), output
                                 (28, 10), as model.to_json() writes it, with the Lambda (Python code,
                                 which Glassbox cannot run) replaced by Glassbox's ReduceSum layer
  Tests/Fixtures/seed-functional.safetensors       the Keras model's weights (seed 0), Glassbox names
  Tests/Fixtures/seed-functional-outputs.json      its model.predict on four images (pixels / 255)
  Tests/Fixtures/seed-functional-lambda.json       its model.to_json() with the Lambda, which Glassbox refuses
  examples/residual-cnn.json     a small residual CNN: Conv2D(16, same) -> BatchNormalization -> ReLU ->
                                 MaxPooling2D -> [Conv2D(16, same, relu) -> Conv2D(16, same) ->
                                 BatchNormalization] + the shortcut (Add) -> ReLU ->
                                 GlobalAveragePooling2D -> Dense(10, softmax)
  Tests/Fixtures/residual-cnn.safetensors          its weights with random biases, BN scales and moving
                                                   statistics, named <node>.<param> as Glassbox names them
  Tests/Fixtures/residual-cnn-outputs.json         its model.predict on four images (pixels / 255)

  examples/mlp.json              a multilayer perceptron for tables of 30 features (the breast cancer
                                 table): Dense(32, relu), Dropout(0.2), Dense(16, relu), Dense(2, softmax)

Run from the repository root: python3 bench/keras_examples.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from keras_reference import write_safetensors  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def reference_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def mlp(features=30, classes=2):
    return keras.Sequential([keras.Input(shape=(features,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dropout(0.2), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(classes, activation="softmax")])


def write_mlp():
    with open("examples/mlp.json", "w") as f:
        json.dump(json.loads(mlp().to_json()), f, indent=1, sort_keys=True)


def seed_functional():
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Dense(128, activation="relu")(inputs)
    x = keras.layers.Lambda(lambda t: tf.reduce_sum(t, axis=1))(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def residual_cnn():
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(16, (3, 3), padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    y = keras.layers.Conv2D(16, (3, 3), padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(16, (3, 3), padding="same")(y)
    y = keras.layers.BatchNormalization()(y)
    x = keras.layers.Add()([x, y])
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def write_residual(rng):
    model = residual_cnn()
    with open("examples/residual-cnn.json", "w") as f:
        json.dump(json.loads(model.to_json()), f, indent=1, sort_keys=True)
        f.write("\n")
    tensors = {}
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            names = ["gamma", "beta", "moving_mean", "moving_variance"]
            weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") if i in (0, 3) else
                       rng.uniform(-0.3, 0.3, w.shape).astype("float32") for i, w in enumerate(weights)]
        else:
            names = ["kernel", "bias"]
            weights = [weights[0], rng.uniform(-0.1, 0.1, weights[1].shape).astype("float32")]
        layer.set_weights(weights)
        for name, value in zip(names, weights):
            tensors[f"{layer.name}.{name}"] = value
    write_safetensors("Tests/Fixtures/residual-cnn.safetensors", tensors, {"source": "keras"})
    images = rng.integers(0, 256, size=(4, 28, 28, 1)).astype("uint8")
    outputs = model.predict(images.astype("float32") / 255, verbose=0)
    with open("Tests/Fixtures/residual-cnn-outputs.json", "w") as f:
        json.dump({"versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
                   "count_params": int(model.count_params()), "images": images.reshape(4, -1).tolist(),
                   "outputs": outputs.reshape(4, -1).astype(float).tolist()}, f)
        f.write("\n")


def without_lambda(model_json):
    """The Lambda layer replaced by {"class_name": "ReduceSum", "config": {"axis": 1}}, same name
    and connections."""
    document = json.loads(model_json)
    for layer in document["config"]["layers"]:
        if layer["class_name"] == "Lambda":
            layer["class_name"] = "ReduceSum"
            layer["module"] = "glassbox"
            layer["config"] = {"name": layer["config"]["name"], "axis": 1}
    return document


def main():
    write_mlp()
    keras.utils.set_random_seed(0)
    with open("examples/reference-cnn.json", "w") as f:
        json.dump(json.loads(reference_cnn().to_json()), f, indent=1, sort_keys=True)
        f.write("\n")
    model = seed_functional()
    with open("examples/seed-functional.json", "w") as f:
        json.dump(without_lambda(model.to_json()), f, indent=1, sort_keys=True)
        f.write("\n")
    with open("Tests/Fixtures/seed-functional-lambda.json", "w") as f:   # as Keras writes it: refused
        f.write(model.to_json() + "\n")

    # Biases are zero at initialisation: give them values so the fixture checks them too.
    rng = np.random.default_rng(0)
    first, last = model.layers[1], model.layers[3]
    first.set_weights([first.get_weights()[0], rng.uniform(-0.1, 0.1, 128).astype("float32")])
    last.set_weights([last.get_weights()[0], rng.uniform(-0.1, 0.1, 10).astype("float32")])
    tensors = {"layers.0.kernel": first.get_weights()[0], "layers.0.bias": first.get_weights()[1],
               "layers.2.kernel": last.get_weights()[0], "layers.2.bias": last.get_weights()[1]}
    architecture = {"input_shape": [28, 28, 1], "layers": [
        {"type": "Dense", "units": 128, "activation": "relu"},
        {"type": "ReduceSum", "axis": 1},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]}
    metadata = {"format": "glassbox", "format_version": "1", "source": "keras",
                "architecture": json.dumps(architecture, sort_keys=True, separators=(",", ":"))}
    write_safetensors("Tests/Fixtures/seed-functional.safetensors", tensors, metadata)
    images = rng.integers(0, 256, size=(4, 28, 28, 1)).astype("uint8")
    outputs = model.predict(images.astype("float32") / 255, verbose=0)
    with open("Tests/Fixtures/seed-functional-outputs.json", "w") as f:
        json.dump({"versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
                   "output_shape": list(outputs.shape[1:]), "images": images.reshape(4, -1).tolist(),
                   "outputs": outputs.reshape(4, -1).astype(float).tolist()}, f)
        f.write("\n")
    write_residual(rng)
    print("wrote examples/reference-cnn.json, examples/seed-functional.json, examples/residual-cnn.json, "
          "Tests/Fixtures/seed-functional.*, Tests/Fixtures/residual-cnn*", file=sys.stderr)


if __name__ == "__main__":
    main()
