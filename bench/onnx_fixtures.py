#!/usr/bin/env python3
"""Writes the ONNX import fixtures (Tests/Fixtures/onnx/): small PyTorch models exported with
torch.onnx.export (opset 17, TorchScript exporter, dynamic batch) and Keras models exported by
Keras 3 (ONNX, and the `.keras` file of model.save), with each model's outputs on the first 256
Fashion-MNIST test images (images.u8: 256 x 784 raw pixels) from the framework itself and from ONNX
Runtime, with the versions that made them. Outputs are base64 of little-endian float32, one row
per image.

  torch-cnn        Conv2d(1, 4, 3, padding 1) -> ReLU -> MaxPool2d(2) -> Conv2d(4, 8, 3) -> ReLU ->
                   Flatten (C, H, W order) -> Linear(1152, 16) -> ReLU -> Linear(16, 10) -> Softmax
  torch-residual   Conv2d(1, 8, 3, padding 1) -> BatchNorm2d -> ReLU -> [Conv2d(8, 8, 3, padding 1) ->
                   BatchNorm2d] + shortcut -> ReLU -> AvgPool2d(2) -> cat([Conv2d 1x1 (8, 4) -> Sigmoid,
                   Conv2d 1x1 (8, 4) -> Tanh], channels) -> AdaptiveAvgPool2d(1) -> Flatten ->
                   Linear(8, 10) -> Softmax; batch-norm running statistics and affine weights random
  keras-seed       the workflow's functional model made in Keras with its Lambda (Dense(128, relu) on
                   28x28x1, Lambda(tf.reduce_sum(x, axis=1)), Dense(10, softmax); random biases),
                   exported by Keras 3's model.export(format="onnx") (tf2onnx): output (28, 10)
  keras-residual   examples/residual-cnn.json built in Keras (Conv2D same, BatchNormalization, Add,
                   GlobalAveragePooling2D) with random biases and batch-norm statistics, exported by
                   Keras (tf2onnx folds batch normalisation into the convolutions, turns the NHWC
                   input channel-first with a Reshape, and squeezes the pooled output)
  keras-cnn        a Sequential CNN (Conv2D(6, 3, strides 2, same, relu) -> BatchNormalization ->
                   Conv2D(8, 3, relu) -> MaxPooling2D -> Flatten -> Dropout -> Dense(10, softmax)), random
                   biases and statistics: ONNX (a multi-channel NHWC graph with Transposes) and .keras
  torch-view       Conv2d(1, 3, 5, stride 2) -> Tanh -> x.view(x.size(0), -1) (Shape, Gather, Unsqueeze,
                   Concat, Reshape in ONNX) -> Linear(432, 10) -> Softmax

Run from the repository root: python3 bench/onnx_fixtures.py   (needs torch, onnx, onnxruntime)

  --check-export GLASSBOX   instead: for each example architecture (examples/*.json, seeded
                            weights) and each fixture, `GLASSBOX export` writes ONNX, ONNX Runtime
                            runs it on the first 256 Fashion-MNIST test images, and the largest
                            difference from `GLASSBOX predict --format json` is printed (one JSON
                            line per model)
"""
import base64
import subprocess
import sys
import tempfile
import json
import os

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn as nn

OUT = os.path.join("Tests", "Fixtures", "onnx")


class TorchCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.fc1 = nn.Linear(8 * 12 * 12, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.conv2(self.pool(torch.relu(self.conv1(x)))))
        x = torch.flatten(x, 1)
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)


class TorchView(nn.Module):
    """x.view(x.size(0), -1): the exporter writes Shape, Gather, Unsqueeze and Concat for it."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 5, stride=2)
        self.fc = nn.Linear(3 * 12 * 12, 10)

    def forward(self, x):
        x = torch.tanh(self.conv(x))
        return torch.softmax(self.fc(x.view(x.size(0), -1)), dim=1)


class TorchResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.branch = nn.Conv2d(8, 8, 3, padding=1)
        self.branch_bn = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(2)
        self.left = nn.Conv2d(8, 4, 1)
        self.right = nn.Conv2d(8, 4, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(x)))
        x = torch.relu(x + self.branch_bn(self.branch(x)))
        x = self.pool(x)
        x = torch.cat([torch.sigmoid(self.left(x)), torch.tanh(self.right(x))], dim=1)
        x = torch.flatten(self.gap(x), 1)
        return torch.softmax(self.fc(x), dim=1)


def randomize_batch_norm(model, generator):
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            with torch.no_grad():
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.3, 0.3, generator=generator)
                module.running_mean.uniform_(-0.3, 0.3, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)


def exact_shapley(session, image, target, grid=3):
    """Exact Shapley values of image 0's target probability over a grid x grid partition (the
    cells of Glassbox's Segmentation.grid: blocks of 28 // grid pixels, the last taking the rest),
    absent cells black (baseline 0), from ONNX Runtime's outputs on all 2^cells coalitions."""
    from itertools import product
    from math import factorial
    height, width = image.shape[1], image.shape[2]
    block_h, block_w = height // grid, width // grid
    cell = np.array([[min(y // block_h, grid - 1) * grid + min(x // block_w, grid - 1) for x in range(width)] for y in range(height)])
    cells = grid * grid
    coalitions = list(product([0, 1], repeat=cells))
    batch = np.stack([image * np.isin(cell, [c for c in range(cells) if mask[c]]).astype(np.float32) for mask in coalitions])
    values = session.run(None, {"input": batch.astype(np.float32)})[0][:, target].astype(np.float64)
    value = {mask: values[i] for i, mask in enumerate(coalitions)}
    phi = []
    for c in range(cells):
        total = 0.0
        for mask in coalitions:
            if mask[c]:
                continue
            size = sum(mask)
            weight = factorial(size) * factorial(cells - size - 1) / factorial(cells)
            with_c = mask[:c] + (1,) + mask[c + 1:]
            total += weight * (value[with_c] - value[mask])
        phi.append(total)
    return {"grid": grid, "target": target, "values": phi}


def keras_models():
    """The seed's functional model and the residual example in Keras."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Dense(128, activation="relu", bias_initializer="random_uniform")(inputs)
    x = keras.layers.Lambda(lambda t: tf.reduce_sum(t, axis=1))(x)
    outputs = keras.layers.Dense(10, activation="softmax", bias_initializer="random_uniform")(x)
    seed = keras.Model(inputs=inputs, outputs=outputs)
    with open(os.path.join("examples", "residual-cnn.json")) as f:
        residual = keras.models.model_from_json(f.read())
    cnn = keras.Sequential([keras.Input(shape=(28, 28, 1)),
                            keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
                            keras.layers.BatchNormalization(),
                            keras.layers.Conv2D(8, 3, activation="relu"),
                            keras.layers.MaxPooling2D(),
                            keras.layers.Flatten(),
                            keras.layers.Dropout(0.3),
                            keras.layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(2)
    for layer in residual.layers + cnn.layers:
        weights = layer.get_weights()
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if i in (0, 3) else
                               rng.uniform(-0.3, 0.3, w.shape).astype("float32") for i, w in enumerate(weights)])
        elif len(weights) == 2:
            layer.set_weights([weights[0], rng.uniform(-0.1, 0.1, weights[1].shape).astype("float32")])
    return [("keras-seed", seed), ("keras-residual", residual), ("keras-cnn", cnn)]


def encode(outputs):
    """Outputs as base64 of little-endian float32, one row per image."""
    return base64.b64encode(np.ascontiguousarray(outputs, dtype="<f4").tobytes()).decode()


def keras_export(name, model, images):
    """A Keras model exported to ONNX and saved as .keras; its outputs in Keras and ONNX Runtime."""
    import keras
    import tensorflow as tf
    x = images.reshape(-1, 28, 28, 1).astype(np.float32) / 255
    keras_outputs = model.predict(x, verbose=0)
    path = os.path.join(OUT, name + ".onnx")
    model.export(path, format="onnx", verbose=False)
    model.save(os.path.join(OUT, name + ".keras"))
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    runtime_outputs = session.run(None, {session.get_inputs()[0].name: x})[0]
    with open(os.path.join(OUT, name + "-outputs.json"), "w") as f:
        json.dump({"versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "onnx": onnx.__version__,
                                "onnxruntime": onnxruntime.__version__, "numpy": np.__version__},
                   "operators": [node.op_type for node in onnx.load(path).graph.node], "output_shape": list(keras_outputs.shape[1:]),
                   "images": len(images), "keras": encode(keras_outputs), "onnxruntime": encode(runtime_outputs)}, f)
        f.write("\n")
    print(f"{path}: largest |keras - onnxruntime| {np.abs(keras_outputs - runtime_outputs).max():.2e}")


def hdf5_variants():
    """hdf5-variants.h5: what h5py writes besides Keras's float32 contiguous datasets, for the HDF5
    reader's tests: float64, big-endian float32, a compact dataset, a chunked one (refused), a
    fixed-length and a variable-length string attribute, and a group of 40 members (a B-tree of
    several symbol-table nodes)."""
    import h5py
    rng = np.random.default_rng(3)
    with h5py.File(os.path.join(OUT, "hdf5-variants.h5"), "w") as f:
        f.create_dataset("double", data=rng.normal(size=(3, 5)))
        f.create_dataset("big", data=rng.normal(size=(7,)).astype(">f4"))
        space = h5py.h5s.create_simple((4, 2))
        compact = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        compact.set_layout(h5py.h5d.COMPACT)
        h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=compact).write(
            h5py.h5s.ALL, h5py.h5s.ALL, rng.normal(size=(4, 2)).astype("<f4"))
        f.create_dataset("chunked", data=rng.normal(size=(6, 6)).astype("<f4"), chunks=(3, 3))
        many = f.create_group("many")
        many.attrs["name"] = "a variable-length string"
        many.attrs.create("fixed", np.bytes_("fixed-length"))
        for i in range(40):
            many.create_dataset(f"d{i:02d}", data=np.full((2,), i, dtype="<f4"))


def main():
    os.makedirs(OUT, exist_ok=True)
    hdf5_variants()
    sys.path.insert(0, os.path.dirname(__file__))
    from keras_reference import find_idx, read_idx
    images = read_idx(find_idx("/usr/share/datasets/fashion-mnist", "t10k-images-idx3-ubyte"))[:256]
    images.astype(np.uint8).tofile(os.path.join(OUT, "images.u8"))
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    x = torch.from_numpy(images.reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    for name, model in [("torch-cnn", TorchCNN()), ("torch-residual", TorchResidual()), ("torch-view", TorchView())]:
        randomize_batch_norm(model, generator)
        model.eval()
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(model, x[:2], path, input_names=["input"], output_names=["probabilities"],
                          dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, opset_version=17, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE)  # keeps BatchNormalization nodes (eval mode)
        onnx.checker.check_model(onnx.load(path))
        with torch.no_grad():
            torch_outputs = model(x).numpy()
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        runtime_outputs = session.run(None, {"input": x.numpy()})[0]
        shapley = exact_shapley(session, x[0].numpy(), target=int(runtime_outputs[0].argmax()))
        with open(os.path.join(OUT, name + "-outputs.json"), "w") as f:
            json.dump({"versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                                    "numpy": np.__version__, "opset": 17},
                       "operators": [node.op_type for node in onnx.load(path).graph.node],
                       "images": len(images), "torch": encode(torch_outputs), "onnxruntime": encode(runtime_outputs),
                       "exact_shapley": shapley}, f)
            f.write("\n")
        print(f"{path}: largest |torch - onnxruntime| {np.abs(torch_outputs - runtime_outputs).max():.2e}")
    for name, model in keras_models():
        keras_export(name, model, images)


def check_export(glassbox, data="/usr/share/datasets/fashion-mnist", count=256):
    sys.path.insert(0, os.path.dirname(__file__))
    from keras_reference import load_split
    x, _ = load_split(data, "t10k")
    x = x[:count]
    with tempfile.TemporaryDirectory() as folder:
        models = []
        for name in ["reference-cnn", "seed-functional", "residual-cnn"]:
            path = os.path.join(folder, name + ".safetensors")
            subprocess.run([glassbox, "init", "--architecture", os.path.join("examples", name + ".json"), "--seed", "5", "--out", path],
                           check=True, capture_output=True)
            models.append((name, path))
        for name in ["torch-cnn", "torch-residual", "torch-view", "keras-seed", "keras-residual", "keras-cnn"]:
            path = os.path.join(folder, name + ".safetensors")
            subprocess.run([glassbox, "import", os.path.join(OUT, name + ".onnx"), "--out", path], check=True, capture_output=True)
            models.append((name, path))
        for name, path in models:
            onnx_path = os.path.join(folder, name + ".onnx")
            subprocess.run([glassbox, "export", "--model", path, "--out", onnx_path], check=True, capture_output=True)
            predicted = subprocess.run([glassbox, "predict", "--model", path, "--data", data, "--index", "0", "--count", str(count),
                                        "--format", "json", "--device", "cpu"], check=True, capture_output=True, text=True).stdout
            ours = np.array([row["output"] for row in json.loads(predicted)], dtype=np.float64).reshape(count, -1)
            session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            shape = session.get_inputs()[0].shape
            feed = x.transpose(0, 3, 1, 2) if shape[1] != x.shape[1] else x   # channel-first images
            theirs = session.run(None, {session.get_inputs()[0].name: feed.astype(np.float32)})[0].reshape(count, -1)
            print(json.dumps({"model": name, "onnx_input": [str(d) for d in shape], "images": count,
                              "max_abs_difference": float(np.abs(ours - theirs).max()), "onnxruntime": onnxruntime.__version__}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check-export":
        check_export(sys.argv[2])
    else:
        main()
