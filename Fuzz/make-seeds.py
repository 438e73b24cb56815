#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/: small valid files and broken ones.

Deterministic (no randomness, gzip modification time 0), so rerunning it changes nothing.
Run from the repository root: python3 Fuzz/make-seeds.py
"""
import gzip
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# ---- IDX (plain and gzip) -----------------------------------------------------------------

def idx(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


images = idx(0x803, [2, 3, 4], range(24))
labels = idx(0x801, [5], [0, 1, 2, 9, 255])
for name, data in {
    "images-2x3x4": images,
    "labels-5": labels,
    "images-2x3x4.gz": gz(images),
    "labels-5.gz": gz(labels),
    "images-two-members.gz": gz(images[:10]) + gz(images[10:]),
    "images-padded.gz": gz(images) + bytes(8),
    "images-truncated": images[:-3],
    "images-surplus": images + b"\x00",
    "images-zero-rows": idx(0x803, [2, 0, 4], []),
    "images-huge-header": idx(0x803, [4000000000, 1000, 250], [1, 2]),
    "images-label-magic": idx(0x801, [2, 3, 4], range(24)),
    "images-float-type": idx(0xD03, [1, 1, 1], [0, 0, 0, 0]),
    "header-only": struct.pack(">I", 0x803),
    "labels-corrupt.gz": gz(labels)[:12] + b"\xff" + gz(labels)[13:],
    "labels-gzip-truncated.gz": gz(labels)[:-5],
}.items():
    write("idx", name, data)

# ---- gzip and zlib streams ----------------------------------------------------------------

text = b"Glassbox reads gzip files as gzip -d does. " * 4


def gzip_member(payload, flags=0, extra=b"", name=b"", comment=b""):
    """A gzip member with optional header fields (RFC 1952, 2.3), built by hand."""
    header = bytes([0x1F, 0x8B, 8, flags]) + bytes(4) + bytes([0, 3])
    if flags & 4:
        header += struct.pack("<H", len(extra)) + extra
    if flags & 8:
        header += name + b"\x00"
    if flags & 16:
        header += comment + b"\x00"
    if flags & 2:
        header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(payload) + compressor.flush()
    return header + body + struct.pack("<II", zlib.crc32(payload), len(payload))


for name, data in {
    "text.gz": gz(text),
    "empty.gz": gz(b""),
    "two-members.gz": gz(b"first ") + gz(b"second"),
    "header-fields.gz": gzip_member(text, flags=2 | 4 | 8 | 16, extra=b"AB\x02\x00hi", name=b"x.idx", comment=b"c"),
    "zero-padding.gz": gz(text) + bytes(16),
    "trailing-garbage.gz": gz(text) + b"garbage",
    "truncated.gz": gz(text)[:-6],
    "bad-crc.gz": gz(text)[:-8] + b"\x00\x00\x00\x00" + gz(text)[-4:],
    "stored-block.gz": gzip_member(b"abc" * 10) [:10] + b"\x01\x1e\x00\xe1\xff" + b"abc" * 10
                       + struct.pack("<II", zlib.crc32(b"abc" * 10), 30),
    "bomb.gz": gz(bytes(200000)),
    "zlib-stream": zlib.compress(text),
    "zlib-truncated": zlib.compress(text)[:-3],
}.items():
    write("gzip", name, data)

# ---- safetensors and Glassbox model files -------------------------------------------------

ARCHITECTURE = {
    "input_shape": [4, 4, 1],
    "layers": [
        {"type": "Conv2D", "filters": 2, "kernelSize": [3, 3], "strides": [1, 1], "padding": "valid", "activation": "relu"},
        {"type": "MaxPool2D", "poolSize": [2, 2], "strides": [2, 2]},
        {"type": "Flatten"},
        {"type": "Dropout", "rate": 0.25},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ],
}
SHAPES = {"layers.0.kernel": [3, 3, 1, 2], "layers.0.bias": [2], "layers.4.kernel": [2, 3], "layers.4.bias": [3]}
TRAINING = {"optimizer": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
            "loss": "sparse_categorical_crossentropy", "from_logits": False, "step": 2, "epochs_completed": 1,
            "seed": "11", "batch_size": 4}


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def safetensors(tensors, metadata, header_edit=None, data_edit=None):
    """tensors: name -> (shape, values). Packed in name order, as Glassbox writes them."""
    header, data = {}, b""
    for name in sorted(tensors):
        shape, values = tensors[name]
        packed = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(packed)]}
        data += packed
    if metadata:
        header["__metadata__"] = metadata
    if header_edit:
        header_edit(header)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    while (8 + len(text)) % 8:
        text += b" "
    if data_edit:
        data = data_edit(data)
    return struct.pack("<Q", len(text)) + text + data, text


def model_tensors(with_slots):
    tensors = {}
    for index, (name, shape) in enumerate(sorted(SHAPES.items())):
        values = [((i * 7 + index) % 11 - 5) / 10 for i in range(count(shape))]
        tensors[name] = (shape, values)
        if with_slots:
            tensors["optimizer." + name + ".m"] = (shape, [v / 100 for v in values])
            tensors["optimizer." + name + ".v"] = (shape, [abs(v) / 1000 for v in values])
    return tensors


def model_metadata(training=True, architecture=ARCHITECTURE, classes=True):
    metadata = {"format": "glassbox", "format_version": "1",
                "architecture": json.dumps(architecture, sort_keys=True, separators=(",", ":"))}
    if training:
        metadata["training"] = json.dumps(TRAINING, sort_keys=True, separators=(",", ":"))
    if classes:
        metadata["class_names"] = json.dumps(["zero", "one", "two"])
    return metadata


def edit_shape(name, shape):
    def edit(header):
        header[name]["shape"] = shape
    return edit


def edit_field(name, field, value):
    def edit(header):
        header[name][field] = value
    return edit


def drop(name):
    def edit(header):
        del header[name]
    return edit


def with_layers(**changes):
    architecture = json.loads(json.dumps(ARCHITECTURE))
    for key, value in changes.items():
        index, field = key.split("_", 1)
        architecture["layers"][int(index[1:])][field] = value
    return architecture


conv_same = {"input_shape": [5, 5, 2], "layers": [
    {"type": "Conv2D", "filters": 1, "kernelSize": [2, 2], "strides": [2, 2], "padding": "same", "activation": "tanh"},
    {"type": "Flatten"}, {"type": "Dense", "units": 2, "activation": "sigmoid"}]}
conv_same_tensors = {"layers.0.kernel": ([2, 2, 2, 1], [0.1] * 8), "layers.0.bias": ([1], [0.0]),
                     "layers.2.kernel": ([9, 2], [0.05] * 18), "layers.2.bias": ([2], [0.0, 0.1])}

flatten_first = {"input_shape": [2, 3], "layers": [
    {"type": "Flatten"}, {"type": "Dense", "units": 2, "activation": "relu"}, {"type": "Dense", "units": 2}]}
flatten_first_tensors = {"layers.1.kernel": ([6, 2], [0.5] * 12), "layers.1.bias": ([2], [0.0, 0.0]),
                         "layers.2.kernel": ([2, 2], [1.0, 0.0, 0.0, 1.0]), "layers.2.bias": ([2], [0.0, 0.0])}
sgd_training = dict(TRAINING, optimizer="sgd", step=0)
for key in ("beta_1", "beta_2", "epsilon"):
    del sgd_training[key]

models = {
    "model-trained": (model_tensors(True), model_metadata()),
    "model-untrained": (model_tensors(False), model_metadata(training=False, classes=False)),
    "model-conv-same": (conv_same_tensors, model_metadata(training=False, architecture=conv_same)),
    "model-dense-shape-swapped": (model_tensors(False), model_metadata(training=False), edit_shape("layers.4.kernel", [3, 2])),
    "model-missing-bias": (model_tensors(False), model_metadata(training=False), drop("layers.0.bias")),
    "model-f16": (model_tensors(False), model_metadata(training=False), edit_field("layers.4.bias", "dtype", "F16")),
    "model-offsets-reversed": (model_tensors(False), model_metadata(training=False),
                               edit_field("layers.4.bias", "data_offsets", [12, 0])),
    "model-unknown-layer": (model_tensors(False), model_metadata(training=False, architecture=with_layers(l3_type="Dense2"))),
    "model-pool-too-big": (model_tensors(False), model_metadata(training=False, architecture=with_layers(l1_poolSize=[5, 5]))),
    "model-missing-slots": (model_tensors(False), model_metadata()),
    "model-flatten-first": (flatten_first_tensors, dict(model_metadata(training=False, architecture=flatten_first),
                                                        training=json.dumps(sgd_training, sort_keys=True))),
    "tensors-only": ({"w": ([2, 2], [1.0, 2.0, 3.0, 4.0]), "empty": ([0, 3], [])}, {}),
}
for name, spec in models.items():
    tensors, metadata = spec[0], spec[1]
    file, header = safetensors(tensors, metadata, spec[2] if len(spec) > 2 else None)
    write("safetensors", name + ".safetensors", file)
    # The model target's seeds hold metadata as plain JSON (see Fuzz/Targets/model.swift).
    plain = json.loads(header)
    for key, value in plain.get("__metadata__", {}).items():
        try:
            plain["__metadata__"][key] = json.loads(value)
        except ValueError:
            pass
    write("model", name + ".json", json.dumps(plain, sort_keys=True, separators=(",", ":")))

valid, _ = safetensors(*models["model-untrained"][:2])
write("safetensors", "truncated.safetensors", valid[:-10])
write("safetensors", "header-length-4gb.safetensors", struct.pack("<Q", 1 << 32) + valid[8:])
write("safetensors", "not-json.safetensors", struct.pack("<Q", 8) + b"{not js}")
write("safetensors", "too-short.safetensors", b"\x02\x00\x00")
write("safetensors", "metadata-number.safetensors", safetensors({}, {}, lambda h: h.update({"__metadata__": {"a": 1}}))[0])
write("model", "header-array.json", "[1,2,3]")
write("model", "shape-negative.json", '{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}}')

# ---- architectures (bytes, see Fuzz/Targets/architecture.swift) ---------------------------
# Indices into its table of sizes: 0 -> 1, 1 -> 2, 2 -> 3, 3 -> 4, 4 -> 5, 6 -> 8, 8 -> 28.

for name, data in {
    # [28, 28, 1]: Conv2D(4, 3x3, relu), MaxPool2D(2x2), Flatten, Dense(5, softmax); no tensors.
    "conv-pool-flatten-dense": [2, 8, 8, 0, 3, 0, 3, 2, 2, 0, 0, 1, 1, 1, 1, 2, 3, 4, 4],
    # [5]: Dense(3, relu), Dropout(0.5), with the right kernel [5, 3] and bias [3]: loads.
    "dense-dropout-with-tensors": [0, 4, 1, 3, 2, 1, 4, 100, 0, 1, 4, 2, 0x80, 0, 2],
    # [8, 8, 1]: Conv2D(3, 2x2, same padding, sigmoid).
    "conv-same": [2, 6, 6, 0, 0, 0x80, 2, 1, 1, 0, 0, 2],
    # [4, 4, 1]: MaxPooling2D(2x2, strides 1x1), Flatten.
    "pool-strides-flatten": [2, 3, 3, 0, 1, 0xC1, 1, 1, 0, 0, 2],
}.items():
    write("architecture", name, bytes(data))

# ---- PNG ----------------------------------------------------------------------------------

def png(width, height, color_type, rows, chunks_before_idat=(), idat_split=1, bit_depth=8, interlace=0, bad_crc=None):
    """rows: list of (filter type, bytes). Returns the file."""
    def chunk(kind, body):
        crc = zlib.crc32(kind + body)
        if bad_crc == kind:
            crc ^= 1
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    raw = b"".join(bytes([f]) + bytes(r) for f, r in rows)
    compressed = zlib.compress(raw)
    parts = [compressed[i * len(compressed) // idat_split:(i + 1) * len(compressed) // idat_split] for i in range(idat_split)]
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    for kind, body in chunks_before_idat:
        out += chunk(kind, body)
    for part in parts:
        out += chunk(b"IDAT", part)
    return out + chunk(b"IEND", b"")


gray_rows = [(0, [0, 128, 255]), (1, [10, 20, 30])]
rgb_rows = [(2, [255, 0, 0, 0, 255, 0]), (4, [0, 0, 255, 9, 9, 9])]
ga_rows = [(3, [50, 255, 60, 128]), (0, [70, 0, 80, 255])]
rgba_rows = [(1, [1, 2, 3, 4, 5, 6, 7, 8]), (2, [9, 10, 11, 12, 13, 14, 15, 16])]
for name, data in {
    "gray-3x2.png": png(3, 2, 0, gray_rows),
    "rgb-2x2.png": png(2, 2, 2, rgb_rows),
    "gray-alpha-2x2.png": png(2, 2, 4, ga_rows),
    "rgba-2x2.png": png(2, 2, 6, rgba_rows),
    "split-idat-text.png": png(3, 2, 0, gray_rows, [(b"tEXt", b"Comment\x00fuzz"), (b"gAMA", struct.pack(">I", 45455))], idat_split=3),
    "palette.png": png(3, 2, 3, gray_rows, [(b"PLTE", bytes(range(9)))]),
    "interlaced.png": png(3, 2, 0, gray_rows, interlace=1),
    "16-bit.png": png(3, 2, 0, gray_rows, bit_depth=16),
    "bad-crc.png": png(3, 2, 0, gray_rows, bad_crc=b"IHDR"),
    "filter-type-7.png": png(3, 2, 0, [(7, [1, 2, 3]), (0, [4, 5, 6])]),
    "truncated.png": png(3, 2, 0, gray_rows)[:-20],
    "huge-ihdr.png": png(100000, 100000, 0, gray_rows),
    "too-few-rows.png": png(3, 4, 0, gray_rows),
    # Structured seeds (first byte not 0x89): width-1, height-1, color type choice, scanlines.
    "scanlines-gray-all-filters": bytes([2, 4, 0]) + b"".join(bytes([f, 10 * f, 200, 7]) for f in range(5)),
    "scanlines-rgb-paeth": bytes([1, 1, 1]) + bytes([4, 1, 2, 3, 4, 5, 6, 4, 7, 8, 9, 10, 11, 12]),
    "scanlines-rgba-average": bytes([0, 2, 3]) + bytes([3, 9, 8, 7, 6] * 3),
    "scanlines-raw-length": bytes([3, 3, 0x80]) + bytes(5),
}.items():
    write("png", name, data)

# ---- PGM ----------------------------------------------------------------------------------

for name, data in {
    "p5-3x2.pgm": b"P5\n3 2\n255\n" + bytes([0, 128, 255, 1, 2, 3]),
    "p2-3x2.pgm": b"P2\n# a comment\n3 2\n15\n0 7 15\n1 2 3\n",
    "p5-maxval-1.pgm": b"P5 2 2 1\n" + bytes([0, 1, 1, 0]),
    "p5-comment-everywhere.pgm": b"P5\n#c\n2 #c\n1\n#c\n255\n" + bytes([5, 6]),
    "p5-comment-after-magic.pgm": b"P5#c\n2 1 255\n" + bytes([5, 6]),
    "p5-16-bit.pgm": b"P5\n2 1\n65535\n" + bytes(4),
    "p5-truncated.pgm": b"P5\n28 28\n255\n" + bytes(100),
    "p2-sample-above-maxval.pgm": b"P2 2 1 10 3 11\n",
    "p2-letters.pgm": b"P2 2 1 255 1 x\n",
    "p5-zero-width.pgm": b"P5 0 2 255\n",
    "p5-huge.pgm": b"P5 2147483647 2147483647 255\n" + bytes(4),
    "p3-color.pgm": b"P3 1 1 255 1 2 3\n",
}.items():
    write("pgm", name, data)

# ---- segment maps (any image file, as --segments FILE) -------------------------------------

write("segment-map", "map-4x4.pgm", b"P5\n4 4\n255\n" + bytes([0, 0, 9, 9, 0, 0, 9, 9, 50, 50, 200, 200, 50, 50, 200, 200]))
write("segment-map", "map-p2-3x1.pgm", b"P2 3 1 3 0 3 1\n")
write("segment-map", "map-3x2.png", png(3, 2, 0, [(0, [1, 1, 2]), (0, [3, 3, 3])]))
write("segment-map", "map-rgb-2x2.png", png(2, 2, 2, rgb_rows))
write("segment-map", "gif.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
write("segment-map", "empty", b"")

# ---- --segments texts (width-1, height-1, image seed byte, then the text) -----------------

for name, (width, height, seed, text) in {
    "grid-4": (27, 27, 3, "grid:4"),
    "grid-1": (0, 0, 0, "grid:1"),
    "grid-too-many": (3, 3, 0, "grid:5"),
    "superpixels-8": (15, 11, 9, "superpixels:8"),
    "superpixels-all": (3, 2, 1, "superpixels:12"),
    "superpixels-negative": (5, 5, 0, "superpixels:-2"),
    "unknown-kind": (5, 5, 0, "slic:3"),
    "no-colon": (5, 5, 0, "grid"),
    "huge-number": (5, 5, 0, "grid:99999999999999999999"),
    "file-name": (5, 5, 0, "map.pgm"),
}.items():
    write("segments", name, bytes([width, height, seed]) + text.encode())

# ---- --device texts -----------------------------------------------------------------------

for name, text in {
    "auto": "auto", "cpu": "cpu", "opencl": "opencl", "opencl-0": "opencl:0", "opencl-12": "OpenCL:12",
    "name": "  NVIDIA H100 ", "pocl": "pthread-cpu", "negative": "opencl:-1", "empty": "", "spaces": "   ",
    "bad-index": "opencl:abc", "plus": "opencl:+3", "unicode": "gpu \u00e9\u4e2d",
}.items():
    write("device", name, text)

# ---- Keras model JSON (keras-json) --------------------------------------------------------

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for name, path in [("reference-cnn.json", "examples/reference-cnn.json"), ("seed-functional.json", "examples/seed-functional.json"),
                   ("residual-cnn.json", "examples/residual-cnn.json"), ("lambda.json", "Tests/Fixtures/seed-functional-lambda.json")]:
    with open(os.path.join(REPOSITORY, path), "rb") as f:
        write("keras-json", name, f.read())


def keras_tensor(name):
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [name, 0, 0]}}


def keras_node(name, class_name, config, inputs):
    arguments = [keras_tensor(source) for source in inputs]
    return {"class_name": class_name, "name": name, "config": dict(config, name=name),
            "inbound_nodes": [{"args": arguments if len(inputs) == 1 else [arguments]}]}


BRANCHES = {"class_name": "Functional", "config": {"input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]], "layers": [
    {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [None, 6, 6, 3]}, "inbound_nodes": []},
    keras_node("c1", "Conv2D", {"filters": 4, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}, ["in"]),
    keras_node("bn", "BatchNormalization", {"axis": -1}, ["c1"]),
    keras_node("c2", "Conv2D", {"filters": 4, "kernel_size": [1, 1], "activation": "leaky_relu"}, ["in"]),
    keras_node("add", "Add", {}, ["bn", "c2"]),
    keras_node("cat", "Concatenate", {"axis": -1}, ["add", "c1"]),
    keras_node("pool", "AveragePooling2D", {"pool_size": [2, 2], "padding": "same"}, ["cat"]),
    keras_node("gap", "GlobalAveragePooling2D", {}, ["pool"]),
    keras_node("out", "Dense", {"units": 3, "activation": "softmax"}, ["gap"])]}}
write("keras-json", "branches.json", json.dumps(BRANCHES))
cycle = json.loads(json.dumps(BRANCHES))
cycle["config"]["layers"][1]["inbound_nodes"] = [{"args": [keras_tensor("add")]}]
write("keras-json", "cycle.json", json.dumps(cycle))

# ---- image folders (image-folder): a layout byte, then files split by 0xFF 0x00 ------------


def pgm(width, height, pixels):
    return b"P5\n%d %d\n255\n" % (width, height) + bytes(pixels)


def image_folder(layout, files):
    return bytes([layout]) + b"\xff\x00".join(files)


GRAY = png(3, 2, 0, [(0, range(0, 30, 10)), (0, range(30, 60, 10))])
RGB = png(3, 2, 2, [(0, range(0, 90, 10)), (0, range(90, 180, 10))])
RGBA = png(3, 2, 6, [(0, range(0, 120, 10)), (1, range(120, 240, 10))])
write("image-folder", "mixed", image_folder(0x81, [b"\x00" + GRAY, b"\x01" + pgm(3, 2, [1, 2, 3, 4, 5, 6]), b"\x00" + RGB, b"\x00" + RGBA]))
write("image-folder", "sizes-differ", image_folder(0x01, [b"\x00" + GRAY, b"\x01" + pgm(2, 2, [1, 2, 3, 4])]))
write("image-folder", "gray-only", image_folder(0x02, [b"\x01" + pgm(3, 2, [9] * 6)] * 3))

# ---- ONNX files (onnx): PyTorch exports from Tests/Fixtures/onnx, cut and altered -----------

for name in ["torch-cnn", "torch-residual", "torch-view", "keras-seed", "keras-residual", "keras-cnn"]:
    with open(os.path.join(REPOSITORY, "Tests", "Fixtures", "onnx", name + ".onnx"), "rb") as f:
        model = f.read()
    write("onnx", name + ".onnx", model)
    write("onnx", name + "-cut.onnx", model[: len(model) // 3])
write("onnx", "not-protobuf.onnx", b"\x08\x07\x12\xff\xff\xff\xff\x0f")

# ---- .keras files (keras): Keras 3 saves from Tests/Fixtures/onnx, cut, deflated, altered ------

import io
import zipfile


def rezip(entries, method):
    """A zip of (name, bytes) entries with fixed dates, so the seed is the same on every run."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, contents in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, contents)
    return out.getvalue()


for name in ["keras-cnn", "keras-seed"]:
    with open(os.path.join(REPOSITORY, "Tests", "Fixtures", "onnx", name + ".keras"), "rb") as f:
        model = f.read()
    write("keras", name + ".keras", model)
    write("keras", name + "-cut.keras", model[: len(model) // 2])
    entries = [(info.filename, zipfile.ZipFile(io.BytesIO(model)).read(info.filename)) for info in zipfile.ZipFile(io.BytesIO(model)).infolist()]
    write("keras", name + "-deflated.keras", rezip(entries, zipfile.ZIP_DEFLATED))
    if name == "keras-cnn":
        weights = dict(entries)["model.weights.h5"]
        write("keras", name + "-weights-not-hdf5.keras", rezip([(n, c if n != "model.weights.h5" else c[64:]) for n, c in entries], zipfile.ZIP_STORED))
        write("keras", name + "-no-weights.keras", rezip([(n, c) for n, c in entries if n != "model.weights.h5"], zipfile.ZIP_STORED))
        # ---- the weights alone (hdf5), for a fixed config.json: whole, cut, with a byte changed ----
        write("hdf5", "keras-cnn.weights.h5", weights)
        write("hdf5", "keras-cnn-cut.weights.h5", weights[: len(weights) // 2])
        write("hdf5", "keras-cnn-superblock.weights.h5", weights[:40] + b"\xff" * 8 + weights[48:])
        write("hdf5", "not-hdf5.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 56)

# ---- CSV tables (csv): a header and numeric rows, quoted fields, scikit-learn's bundled form ----

write("csv", "plain.csv", "x,y,label\n" + "".join("%d,%.2f,%s\n" % (i, i * 0.5, "ab"[i % 2]) for i in range(12)))
write("csv", "quoted-crlf.csv", '\ufeff"a, b",c,"class"\r\n1,2,"yes"\r\n3,4,"no"\r\n\r\n5,6,yes\r\n')
write("csv", "ragged.csv", "a,b,c\n1,2,0\n3,4\n")
write("csv", "not-numeric.csv", "a,b,c\n1,x,0\n3,4,1\n")
write("csv", "scikit-learn.csv", "4,3,malignant,benign\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n")

# ---- explain --shard parts (shard-file): a --global part, a --count part, broken ones ----

def shard_part(index, count, images, records, output="", classes=("t-shirt", "trouser")):
    part = range(images)[index * (images // count) + min(index, images % count):][: images // count + (1 if index < images % count else 0)]
    results = []
    for position in part:
        results.append({"position": position, "output": output and output % position, "files": [],
                         "records": [{"method": "kernel", "target": position % len(classes), "values": [0.5, -0.25, "nan"][:records],
                                      "pixelMap": [0.125] * 4, "intensities": [0.0, 1.0, 0.5][:records]}] if records else []})
    return json.dumps({"kind": "glassbox-explain-shard", "version": 1, "arguments": ["--global", "--count", str(images)],
                       "shard": {"index": index, "count": count},
                       "run": {"classNames": list(classes), "width": 2, "height": 2, "images": images},
                       "results": results}, sort_keys=True)


write("shard-file", "global-1of3.json", shard_part(1, 3, 5, 2))
write("shard-file", "count-0of2.json", shard_part(0, 2, 3, 0, output="image %d: predicted t-shirt"))
write("shard-file", "nan-values.json", shard_part(0, 1, 2, 3))
write("shard-file", "wrong-positions.json", shard_part(1, 3, 5, 2).replace('"position": 2', '"position": 4'))
write("shard-file", "huge-run.json", shard_part(0, 1, 1, 2).replace('"images": 1', '"images": 9223372036854775807'))
write("shard-file", "not-json.json", "{\"kind\": \"glassbox-explain-shard\", ")

if __name__ == "__main__":
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print("seed corpora: %d files, %d bytes" % (sum(len(fs) for _, _, fs in os.walk(ROOT)), total))
