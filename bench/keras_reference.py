#!/usr/bin/env python3
"""The Keras peer for Glassbox: the reference CNN on Fashion-MNIST in TensorFlow/Keras.

Subcommands (each prints one JSON object to stdout; versions and thread counts go to stderr):
  train    fit the reference model, report per-epoch wall seconds, final loss/accuracy, test accuracy
  predict  inference throughput with model.predict and with model(x, training=False) in chunks
  export   write Keras-initialised (optionally trained) weights as a loadable Glassbox model file
           (with its `architecture` metadata), optionally with the model's probabilities on some
           test images and those images' raw pixels
  check    load a Glassbox safetensors file into the Keras model and print its probabilities

The model is Sequential([Input((28,28,1)), Conv2D(32,(3,3),relu), MaxPooling2D((2,2)), Flatten(),
Dense(128,relu), Dense(10,softmax)]), Adam (Keras defaults), sparse_categorical_crossentropy.

Glassbox model files are safetensors: 8-byte little-endian header length, JSON header, raw data.
Tensors are named layers.<i>.kernel / layers.<i>.bias with <i> the Sequential layer index
(Conv2D=0, MaxPooling2D=1, Flatten=2, Dense=3, Dense=4), in Keras layouts (channels_last).
"""
import argparse
import gzip
import json
import os
import re
import struct
import sys
import time

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
LAYER_TENSOR = re.compile(r"^layers\.(\d+)\.(kernel|bias)$")
DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}

# ---------------------------------------------------------------------------------------------
# Data

def read_idx(path):
    """Reads an IDX file (optionally gzipped) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file")
    type_code, ndim = raw[2], raw[3]
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if type_code not in dtypes:
        raise ValueError(f"{path}: unknown IDX type code 0x{type_code:02x}")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=dtypes[type_code], offset=4 + 4 * ndim)
    count = int(np.prod(shape))
    if data.size < count:
        raise ValueError(f"{path}: truncated ({data.size} of {count} values)")
    return data[:count].reshape(shape)


def find_idx(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}[.gz] in {directory}")


def load_split(directory, split):
    """split is 'train' or 't10k'. Returns (images float32 (N,28,28,1) in [0,1], labels int64 (N,))."""
    images = read_idx(find_idx(directory, f"{split}-images-idx3-ubyte"))
    labels = read_idx(find_idx(directory, f"{split}-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 28, 28, 1)
    return x, labels.astype(np.int64)


def parse_indices(text, limit):
    indices = [int(part) for part in text.split(",") if part.strip()]
    for index in indices:
        if not 0 <= index < limit:
            raise SystemExit(f"index {index} out of range 0..{limit - 1}")
    return indices


# ---------------------------------------------------------------------------------------------
# Glassbox safetensors format

def read_safetensors(path):
    """Returns ({name: ndarray}, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_length,) = struct.unpack("<Q", raw[:8])
    if 8 + header_length > len(raw):
        raise ValueError(f"{path}: header length {header_length} past end of file")
    header = json.loads(raw[8:8 + header_length].decode("utf-8"))
    data = memoryview(raw)[8 + header_length:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        dtype = DTYPES.get(info["dtype"])
        begin, end = info["data_offsets"]
        shape = [int(d) for d in info["shape"]]
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: {name} offsets {begin}..{end} outside data of {len(data)} bytes")
        if dtype is None:
            # Unsupported dtypes are only an error for tensors we actually need.
            tensors[name] = info["dtype"]
            continue
        itemsize = np.dtype(dtype).itemsize
        if end - begin != itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: {name} has {end - begin} bytes for shape {shape}")
        array = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<"))
        tensors[name] = array.reshape(shape).astype(np.float32)
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """tensors: {name: array}; written as contiguous little-endian F32, names sorted, no padding."""
    header = {"__metadata__": dict(metadata)}
    chunks, offset = [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name], dtype="<f4")
        blob = array.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        chunks.append(blob)
        offset += len(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in chunks:
            f.write(blob)


def model_tensors(model):
    """The model's weights as {layers.<i>.kernel|bias: array}."""
    tensors = {}
    for i, layer in enumerate(model.layers):
        weights = layer.get_weights()
        if not weights:
            continue
        if len(weights) != 2:
            raise ValueError(f"layer {i} ({layer.name}) has {len(weights)} weight arrays, expected kernel and bias")
        tensors[f"layers.{i}.kernel"], tensors[f"layers.{i}.bias"] = weights
    return tensors


def load_glassbox_weights(model, path):
    """Loads a Glassbox file into the model with model.set_weights, in layer order. Tensors are
    named `layers.<position>.<kernel|bias>` (format 1) or `<node>.<kernel|bias>` by the node names
    of the architecture metadata (format 2: `conv2d.kernel`, ..., `dense_1.bias`)."""
    tensors, metadata = read_safetensors(path)
    positions = {}
    if metadata.get("format_version", "1") != "1" and "architecture" in metadata:
        try:
            names = json.loads(metadata["architecture"]).get("names") or []
        except json.JSONDecodeError as error:
            raise SystemExit(f"{path}: architecture metadata is not JSON ({error})")
        positions = {name: i for i, name in enumerate(names)}
    found = {}
    for name, value in tensors.items():
        match = LAYER_TENSOR.match(name)
        node, _, kind = name.rpartition(".")
        if match:
            found[(int(match.group(1)), match.group(2))] = (name, value)
        elif node in positions and kind in ("kernel", "bias"):
            found[(positions[node], kind)] = (name, value)
        # anything else (optimizer.*, ...) is ignored
    ordered = []
    expected_layers = []
    for i, layer in enumerate(model.layers):
        current = layer.get_weights()
        if not current:
            continue
        expected_layers.append(i)
        for kind, reference in zip(("kernel", "bias"), current):
            if (i, kind) not in found:
                raise SystemExit(f"{path}: missing the {kind} of layer {i} (layers.{i}.{kind}, or by its node name)")
            name, value = found[(i, kind)]
            if isinstance(value, str):
                raise SystemExit(f"{path}: {name} has unsupported dtype {value}")
            if tuple(value.shape) != tuple(reference.shape):
                raise SystemExit(f"{path}: {name} has shape {list(value.shape)}, model expects {list(reference.shape)}")
            ordered.append(value)
    extra = sorted(f"layers.{i}.{k}" for (i, k) in found if i not in expected_layers)
    if extra:
        raise SystemExit(f"{path}: tensors for layers without weights in the reference model: {extra}")
    model.set_weights(ordered)


# ---------------------------------------------------------------------------------------------
# TensorFlow / Keras

def setup(args):
    """Imports TensorFlow after configuring threads and seeds; returns (tf, keras)."""
    import tensorflow as tf
    import keras

    if args.threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    intra = tf.config.threading.get_intra_op_parallelism_threads()
    inter = tf.config.threading.get_inter_op_parallelism_threads()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    describe = lambda n: str(n) if n else f"TF default ({cpus})"
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, numpy {np.__version__}; "
          f"{cpus} CPUs available; intra-op threads {describe(intra)}, inter-op threads {describe(inter)}",
          file=sys.stderr)
    return tf, keras


def build_model(keras):
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def epoch_timer(keras):
    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []
            self._start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def fit(keras, model, x, y, epochs, batch_size):
    timer = epoch_timer(keras)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, callbacks=[timer])
    return history, timer.seconds


def probabilities(model, x):
    # One batch holding all the requested images, so export and check run the identical computation.
    return model.predict(x, batch_size=max(1, len(x)), verbose=0)


def glassbox_architecture(model):
    """The model as Glassbox's `architecture` metadata (JSON text): the input shape and one
    LayerConfiguration per layer, so Glassbox rebuilds the same Sequential when it loads the file."""
    layers = []
    for layer in model.layers:
        config = layer.get_config()
        kind = type(layer).__name__
        if kind == "Conv2D":
            layers.append({"type": "Conv2D", "filters": config["filters"], "kernelSize": list(config["kernel_size"]),
                           "strides": list(config["strides"]), "padding": config["padding"],
                           "activation": config["activation"]})
        elif kind == "MaxPooling2D" and config["padding"] == "valid":
            layers.append({"type": "MaxPool2D", "poolSize": list(config["pool_size"]), "strides": list(config["strides"])})
        elif kind == "Flatten":
            layers.append({"type": "Flatten"})
        elif kind == "Dense":
            layers.append({"type": "Dense", "units": config["units"], "activation": config["activation"]})
        elif kind == "Dropout":
            layers.append({"type": "Dropout", "rate": config["rate"]})
        else:
            raise ValueError(f"layer {layer.name} ({kind}) has no Glassbox equivalent")
    input_shape = [int(d) for d in model.inputs[0].shape[1:]]
    return json.dumps({"input_shape": input_shape, "layers": layers}, sort_keys=True, separators=(",", ":"))


def glassbox_metadata(model):
    """Metadata that makes the file a loadable Glassbox model (see Sources/Glassbox/IO/ModelFile.swift)."""
    return {"format": "glassbox", "format_version": "1", "architecture": glassbox_architecture(model), "source": "keras"}


def emit(obj):
    print(json.dumps(obj))


# ---------------------------------------------------------------------------------------------
# Subcommands

def cmd_train(args):
    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    if args.limit is not None:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    tf, keras = setup(args)
    model = build_model(keras)
    history, seconds = fit(keras, model, x_train, y_train, args.epochs, args.batch_size)
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    if args.save_weights:
        write_safetensors(args.save_weights, model_tensors(model), glassbox_metadata(model))
    emit({
        "framework": "keras",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "threads": args.threads,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "train_images": int(len(x_train)),
        "epoch_seconds": seconds,
        "final_loss": float(history.history["loss"][-1]),
        "final_accuracy": float(history.history["accuracy"][-1]),
        "test_accuracy": float(test_accuracy),
    })


def cmd_predict(args):
    x_test, _ = load_split(args.data, "t10k")
    # Test images, repeated if more are asked for than the 10,000 there are.
    x = np.ascontiguousarray(np.resize(x_test, (args.images, 28, 28, 1)))
    tf, keras = setup(args)
    model = build_model(keras)
    if args.weights:
        load_glassbox_weights(model, args.weights)
    batch = args.batch_size

    def run_predict():
        return model.predict(x, batch_size=batch, verbose=0)

    def run_call():
        return np.concatenate([np.asarray(model(x[i:i + batch], training=False)) for i in range(0, len(x), batch)])

    def best_seconds(function):
        function()  # warm-up (tracing, allocation)
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            function()
            best = min(best, time.perf_counter() - start)
        return best

    predict_seconds = best_seconds(run_predict)
    call_seconds = best_seconds(run_call)
    emit({
        "framework": "keras",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "threads": args.threads,
        "images": args.images,
        "batch_size": batch,
        "repeats": args.repeats,
        "best_seconds": predict_seconds,
        "images_per_second": args.images / predict_seconds,
        "call_best_seconds": call_seconds,
        "call_images_per_second": args.images / call_seconds,
    })


def cmd_export(args):
    x_test, _ = load_split(args.data, "t10k")
    indices = parse_indices(args.indices, len(x_test)) if args.probabilities else []
    if args.epochs > 0:
        x_train, y_train = load_split(args.data, "train")
        if args.limit is not None:
            x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    tf, keras = setup(args)
    tf.config.experimental.enable_op_determinism()
    model = build_model(keras)
    if args.epochs > 0:
        fit(keras, model, x_train, y_train, args.epochs, args.batch_size)
    write_safetensors(args.out, model_tensors(model), glassbox_metadata(model))
    print(f"wrote {args.out}", file=sys.stderr)
    if args.probabilities:
        # Predict from the weights exactly as written (float32) so `check` reproduces them bit for bit.
        probs = probabilities(model, x_test[indices])
        # The raw pixels too, so a test can feed the same images without the data set.
        pixels = read_idx(find_idx(args.data, "t10k-images-idx3-ubyte"))[indices].reshape(len(indices), -1)
        with open(args.probabilities, "w") as f:
            json.dump({"indices": indices, "probabilities": [[float(v) for v in row] for row in probs],
                       "images": [[int(v) for v in row] for row in pixels]}, f)
            f.write("\n")
        print(f"wrote {args.probabilities}", file=sys.stderr)


def cmd_check(args):
    x_test, _ = load_split(args.data, "t10k")
    indices = parse_indices(args.indices, len(x_test))
    tf, keras = setup(args)
    tf.config.experimental.enable_op_determinism()
    model = build_model(keras)
    load_glassbox_weights(model, args.weights)
    probs = probabilities(model, x_test[indices])
    emit({
        "indices": indices,
        "probabilities": [[float(v) for v in row] for row in probs],
        "predicted": [int(i) for i in np.argmax(probs, axis=1)],
    })


# ---------------------------------------------------------------------------------------------

def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=DEFAULT_DATA, help=f"Fashion-MNIST IDX folder (default {DEFAULT_DATA})")
    common.add_argument("--threads", type=positive_int, default=None,
                        help="TF intra- and inter-op threads (default: TensorFlow's default)")
    common.add_argument("--seed", type=int, default=0, help="keras.utils.set_random_seed (default 0)")

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", parents=[common], help="train and time epochs")
    p.add_argument("--epochs", type=positive_int, default=1)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--limit", type=positive_int, default=None, help="use only the first N training images")
    p.add_argument("--save-weights", metavar="PATH.safetensors", help="write the trained weights (Glassbox format)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", parents=[common], help="inference throughput")
    p.add_argument("--batch-size", type=positive_int, default=4096)
    p.add_argument("--images", type=positive_int, default=4096)
    p.add_argument("--repeats", type=positive_int, default=5)
    p.add_argument("--weights", metavar="PATH.safetensors", help="Glassbox-format weights (default: random init)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", parents=[common], help="write Keras weights as a Glassbox file")
    p.add_argument("--out", required=True, metavar="PATH.safetensors")
    p.add_argument("--epochs", type=int, default=0, help="train this many epochs first (default 0)")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--limit", type=positive_int, default=None, help="train on only the first N images")
    p.add_argument("--probabilities", metavar="OUT.json", help="also write the probabilities and raw pixels of test images (--indices)")
    p.add_argument("--indices", default="0,1,2,3,4,5,6,7,8,9", help="comma-separated test image indices")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("check", parents=[common], help="predict test images from a Glassbox file")
    p.add_argument("--weights", required=True, metavar="PATH.safetensors")
    p.add_argument("--indices", default="0,1,2,3,4,5,6,7,8,9", help="comma-separated test image indices")
    p.set_defaults(func=cmd_check)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
