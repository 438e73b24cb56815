#!/usr/bin/env python3
"""Glassbox beside its fastest peers, in one run on one machine, on the same model (the weights of
one Glassbox model file copied into PyTorch), the same images and the same features:

  training    one epoch of the reference CNN, batch 32, the 60,000 Fashion-MNIST training images,
              Adam (Keras defaults): `glassbox bench training`, Keras (bench/keras_reference.py
              train), PyTorch eager on the CPU, and ONNX Runtime's training API when
              onnxruntime-training is at hand (--ort-training-python); wall seconds of the epoch
  inference   4,096 test images at batch 4,096, best of 10 after a warm-up: PyTorch eager
              (inference_mode), ONNX Runtime (CPU execution provider) on the PyTorch copy exported
              to ONNX, and `glassbox bench predict` on the model file; images/s
  start-up    a whole `glassbox predict --model M --image I.pgm` process (test image --index),
              wall seconds, best and median of 5 (the issue's target: under 0.3 s)
  explainers  Captum on the PyTorch copy beside `glassbox bench explain` on the model file: one test
              image (--index), its predicted class, a 7x7 grid of 4x4 cells, zero baseline:
              KernelShap (2,048 samples), Lime (1,000 samples; lime's kernel and ridge model),
              ShapleyValueSampling (permutations matched to Glassbox's permutation evaluations),
              IntegratedGradients (50 Gauss-Legendre steps), DeepLiftShap (the 100 training images
              Glassbox's deep draws as its background; the target's logit on both sides, the
              output `glassbox explain --method deep` explains by default); best of 3 after one
              warm-up each; Spearman rank correlation of the 49 cell values

  python3 bench/torch_peers.py GLASSBOX [--model M.safetensors] [--data DIR] [--index I]
                                         [--ort-training-python PYTHON] [--skip-training]
                                         [--perturbations-per-eval 256] [--ig-steps 50] [--background 100]

Without --model a quick model is trained with `glassbox train --epochs 1 --limit 6000`. The copy is
checked first: PyTorch's probabilities must match `glassbox predict` within 1e-4 on the first
eight test images and --index. One JSON line per measurement on stdout (the first one names the
CPU); versions, thread counts and progress on stderr. Ratios are stated in each line: for times,
peer seconds / Glassbox seconds (above 1: Glassbox is faster).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference as kr  # noqa: E402
import torch_reference as tr  # noqa: E402
from shap_reference import grid_segments  # noqa: E402

GRID = 7
LIME_KERNEL_WIDTH = 0.25   # lime's LimeImageExplainer default, as Glassbox's lime uses
CHECK_TOLERANCE = 1e-4


def emit(row):
    print(json.dumps(row), flush=True)


def note(text):
    print(text, file=sys.stderr, flush=True)


def spearman(a, b):
    """Spearman's rank correlation (average ranks for ties)."""
    def ranks(values):
        values = np.asarray(values, dtype=np.float64)
        order = np.argsort(values, kind="mergesort")
        ranked = np.empty(len(values))
        ranked[order] = np.arange(len(values), dtype=np.float64)
        for value in np.unique(values):
            tied = values == value
            ranked[tied] = ranked[tied].mean()
        return ranked
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else float("nan")


# ---------------------------------------------------------------------------------------------
# The model

def prepare_model(args, folder):
    """The model file to compare on: --model, or a quick one trained by Glassbox."""
    if args.model:
        return args.model
    path = os.path.join(folder, "model.safetensors")
    note("training a quick model: glassbox train --epochs 1 --limit 6000")
    result = subprocess.run([args.glassbox, "train", "--data", args.data, "--epochs", "1", "--limit", "6000", "--out", path],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: glassbox train exited with {result.returncode}:\n{result.stderr.strip()}")
    return path


def check_copy(args, model, test):
    """PyTorch's probabilities against `glassbox predict` on the first eight test images and --index."""
    ours = []
    for start, count in [(0, 8)] + ([(args.index, 1)] if args.index >= 8 else []):
        ours += tr.run_json([args.glassbox, "predict", "--model", args.model_path, "--data", args.data, "--index", start,
                             "--count", count, "--format", "json"])
    glassbox = np.array([row["probabilities"] for row in ours], dtype=np.float64)
    with torch.inference_mode():
        torch_probabilities = model(tr.nchw(test[[row["index"] for row in ours]])).double().numpy()
    difference = float(np.abs(glassbox - torch_probabilities).max())
    row = {"measurement": "weight copy check: PyTorch probabilities vs glassbox predict",
           "model": args.model_path, "test_images": [row["index"] for row in ours], "max_abs_difference": difference,
           "tolerance": CHECK_TOLERANCE}
    emit(row)
    if not difference < CHECK_TOLERANCE:
        raise SystemExit(f"error: the PyTorch copy of {args.model_path} disagrees with glassbox predict "
                         f"(max abs difference {difference:.3g} >= {CHECK_TOLERANCE})")


# ---------------------------------------------------------------------------------------------
# Training

def torch_epoch(x, y, batch_size, seed):
    """One epoch of PyTorch eager training from a fresh (PyTorch-initialised) reference CNN."""
    torch.manual_seed(seed)
    model = tr.ReferenceCNN(probabilities=False, flatten="nhwc").train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_function = nn.CrossEntropyLoss()
    images, labels = tr.nchw(x), torch.from_numpy(y)
    order = torch.randperm(len(images))
    total = torch.zeros(())
    start = time.perf_counter()
    for begin in range(0, len(images), batch_size):
        batch = order[begin:begin + batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(model(images[batch]), labels[batch])
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(batch)
    seconds = time.perf_counter() - start
    return seconds, float(total) / len(images), model.eval()


def ort_training_python(args):
    """An interpreter with onnxruntime.training, or (None, reason)."""
    candidates = [args.ort_training_python] if args.ort_training_python else [sys.executable]
    for python in candidates:
        try:
            probe = subprocess.run([python, "-c", "import onnxruntime.training.api"], capture_output=True, text=True)
        except OSError as error:
            last = str(error)
            continue
        if probe.returncode == 0:
            return python, None
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
    where = args.ort_training_python or f"this interpreter ({sys.executable})"
    return None, f"onnxruntime.training cannot be imported by {where}: {last}"


def training(args, train, train_labels, test, test_labels, folder):
    note("== training: one epoch, batch 32")
    glassbox = tr.run_json([args.glassbox, "bench", "training", "--data", args.data, "--epochs", "1", "--batch-size", "32"])
    emit({"measurement": "training epoch, glassbox bench training", "batch_size": 32, "train_images": glassbox["train_images"],
          "seconds": glassbox["epoch_seconds"][0], "backend": glassbox["backend"], "final_loss": glassbox["final_loss"],
          "test_accuracy": glassbox["test_accuracy"]})
    keras = tr.run_json([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_reference.py"),
                         "train", "--data", args.data, "--epochs", "1", "--batch-size", "32"],
                        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    emit({"measurement": "training epoch, Keras (bench/keras_reference.py train; model.fit, epoch callback)",
          "tensorflow": keras["tensorflow"], "batch_size": 32, "train_images": keras["train_images"],
          "seconds": keras["epoch_seconds"][0], "final_loss": keras["final_loss"], "test_accuracy": keras["test_accuracy"]})
    seconds, loss, model = torch_epoch(train, train_labels, 32, args.seed)
    with torch.inference_mode():
        accuracy = float((model(tr.nchw(test)).argmax(1).numpy() == test_labels).mean())
    emit({"measurement": "training epoch, PyTorch eager CPU (Adam lr 1e-3 eps 1e-7, CrossEntropyLoss, shuffled batches of 32 from memory)",
          "torch": torch.__version__, "threads": torch.get_num_threads(), "batch_size": 32, "train_images": len(train),
          "seconds": seconds, "mean_loss": loss, "test_accuracy": accuracy})
    fastest = min(keras["epoch_seconds"][0], seconds)
    emit({"measurement": "training epoch ratio: glassbox / min(Keras, PyTorch) seconds (below 1: Glassbox is faster)",
          "glassbox_seconds": glassbox["epoch_seconds"][0], "keras_seconds": keras["epoch_seconds"][0], "pytorch_seconds": seconds,
          "ratio": glassbox["epoch_seconds"][0] / fastest})
    python, reason = ort_training_python(args)
    if python is None:
        emit({"onnxruntime_training": f"not available: {reason}"})
        return
    logits = os.path.join(folder, "logits.onnx")
    tr.export_onnx(tr.ReferenceCNN(probabilities=False, flatten="nhwc").eval(), logits, "logits")
    ort = subprocess.run([python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_training.py"), logits,
                          "--data", args.data, "--batch-size", "32", "--seed", str(args.seed)], capture_output=True, text=True)
    if ort.returncode != 0:
        emit({"onnxruntime_training": f"failed: bench/ort_training.py exited with {ort.returncode}: "
                                      f"{(ort.stderr.strip().splitlines() or ['no output'])[-1]}"})
        return
    result = json.loads(ort.stdout)
    emit({"measurement": "training epoch, ONNX Runtime training API (onnxruntime-training, CPU; CrossEntropyLoss, "
                         "AdamW with weight decay 0; glassbox_over_ort_seconds below 1: Glassbox is faster)",
          "onnxruntime_training": result["onnxruntime"], "batch_size": 32, "train_images": result["train_images"],
          "seconds": result["epoch_seconds"], "mean_loss": result["mean_loss"],
          "glassbox_over_ort_seconds": glassbox["epoch_seconds"][0] / result["epoch_seconds"]})


# ---------------------------------------------------------------------------------------------
# Inference

def inference(args, model, test, folder):
    note("== inference: 4096 images at batch 4096, best of 10")
    images = 4096
    x = tr.nchw(np.ascontiguousarray(np.resize(test, (images, 28, 28, 1))))

    def eager():
        with torch.inference_mode():
            return model(x)
    torch_seconds = tr.best_of(10, eager)
    path = os.path.join(folder, "model.onnx")
    tr.export_onnx(model, path, "probabilities")
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed = {"input": x.numpy()}
    difference = float(np.abs(session.run(None, feed)[0] - eager().numpy()).max())
    ort_seconds = tr.best_of(10, lambda: session.run(None, feed))
    glassbox = tr.run_json([args.glassbox, "bench", "predict", "--model", args.model_path, "--data", args.data, "--images", images,
                            "--batch-size", images, "--repeats", "10"])
    emit({"measurement": "inference 4096 test images at batch 4096, PyTorch eager (inference_mode), best of 10",
          "seconds": torch_seconds, "images_per_second": images / torch_seconds, "threads": torch.get_num_threads()})
    emit({"measurement": "inference 4096 test images at batch 4096, ONNX Runtime CPU EP on the exported PyTorch copy, best of 10",
          "seconds": ort_seconds, "images_per_second": images / ort_seconds, "max_abs_difference_vs_pytorch": difference})
    emit({"measurement": "inference 4096 test images at batch 4096, glassbox bench predict --model (the same model file), best of 10",
          "seconds": glassbox["best_seconds"], "images_per_second": images / glassbox["best_seconds"], "backend": glassbox["backend"]})
    emit({"measurement": "inference ratio: glassbox / ONNX Runtime images per second (above 1: Glassbox is faster)",
          "ratio": ort_seconds / glassbox["best_seconds"], "glassbox_over_pytorch": torch_seconds / glassbox["best_seconds"]})


def start_up(args, test, folder):
    """A whole `glassbox predict --image` process on test image --index (written as an 8-bit PGM),
    wall clock from this script, best and median of 5: what a user waits for one prediction."""
    note("== start-up: a whole glassbox predict --image process, 5 runs")
    path = os.path.join(folder, "image.pgm")
    pixels = np.rint(test[args.index].reshape(28, 28) * 255).astype(np.uint8)
    with open(path, "wb") as file:
        file.write(b"P5\n28 28\n255\n" + pixels.tobytes())
    seconds = []
    for _ in range(5):
        start = time.perf_counter()
        result = subprocess.run([args.glassbox, "predict", "--model", args.model_path, "--image", path],
                                capture_output=True, text=True)
        seconds.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"error: glassbox predict --image exited with {result.returncode}: {result.stderr.strip()}")
    emit({"measurement": "whole glassbox predict --image process (model file, one PGM image), wall seconds of 5 runs",
          "best_seconds": min(seconds), "median_seconds": sorted(seconds)[2], "target_seconds": 0.3})


# ---------------------------------------------------------------------------------------------
# Explainers

def lime_similarity(original, perturbed, interpretable, **kwargs):
    """lime's image kernel on the interpretable vector z: sqrt(exp(-d^2 / w^2)), d the cosine
    distance of z to all ones (1 for the empty coalition)."""
    z = interpretable.double().reshape(-1)
    present = float(z.sum())
    distance = 1.0 - (present / np.sqrt(present * z.numel()) if present > 0 else 0.0)
    return float(np.sqrt(np.exp(-distance ** 2 / LIME_KERNEL_WIDTH ** 2)))


def counted(model, function):
    """Runs function once, counting the images every forward pass of the model's first layer sees
    (DeepLift concatenates inputs and baselines after the model's own pre-hooks); returns (rows, passes)."""
    count = {"rows": 0, "passes": 0}

    def hook(_, inputs):
        count["rows"] += int(inputs[0].shape[0])
        count["passes"] += 1
    handle = model.body[0].register_forward_pre_hook(hook)
    try:
        function()
    finally:
        handle.remove()
    return count["rows"], count["passes"]


def explainers(args, model, test, train):
    from captum.attr import DeepLiftShap, IntegratedGradients, KernelShap, Lime, ShapleyValueSampling
    from captum._utils.models.linear_model import SkLearnRidge
    note("== explainers: 7x7 grid, zero baseline, predicted class")
    image = tr.nchw(test[args.index:args.index + 1])
    with torch.no_grad():
        target = int(model(image).argmax())
    segments = grid_segments(GRID)
    mask = torch.from_numpy(segments).reshape(1, 1, 28, 28)
    background_indices = tr.glassbox_sample_indices(args.background, len(train), seed=0)
    background = tr.nchw(train[background_indices])
    ppe = args.perturbations_per_eval

    # Glassbox's permutation: P = (budget - 2) / (2 (M - 1)) antithetic orders, 2 + 2 P (M - 1) evaluations
    # (PermutationShap.swift) with the default budget 2 M + 2048. Captum's ShapleyValueSampling: one
    # baseline evaluation and M per permutation; the permutations are the nearest count to that budget.
    m = GRID * GRID
    permutation_budget = 2 * m + 2048
    glassbox_permutation_evaluations = 2 + 2 * ((permutation_budget - 2) // (2 * (m - 1))) * (m - 1)
    shapley_permutations = max(1, round((glassbox_permutation_evaluations - 1) / m))
    cases = f"kernel:{GRID}:2048,lime:{GRID}:1000,permutation:{GRID}:{permutation_budget}," \
            f"integrated-gradients:{GRID}:{args.ig_steps},deep:{GRID}:{args.background}"
    glassbox = tr.run_json([args.glassbox, "bench", "explain", "--model", args.model_path, "--data", args.data,
                            "--index", args.index, "--cases", cases, "--repeats", "3"])
    if glassbox["target"] != target:
        raise SystemExit(f"error: glassbox explains class {glassbox['target']}, PyTorch predicts {target}")

    # What the values of Shapley-type methods sum to: f(x) - f(zero image); for DeepSHAP, which
    # explains the target's logit (Glassbox's default output for deep; the copy's `body` is the
    # network without its softmax), the logit minus the background's mean logit (LIME's
    # coefficients need not).
    logits = model.body
    with torch.no_grad():
        fx, f0 = float(model(image)[0, target]), float(model(torch.zeros_like(image))[0, target])
        expected = {False: fx - f0, True: float(logits(image)[0, target]) - float(logits(background)[:, target].mean())}
    lime = Lime(model, interpretable_model=SkLearnRidge(alpha=1.0), similarity_func=lime_similarity)
    runs = [
        ("kernel", "KernelSHAP, 2048 samples", "KernelShap", KernelShap(model),
         dict(baselines=0.0, feature_mask=mask, n_samples=2048, perturbations_per_eval=ppe), "perturbation"),
        ("lime", "LIME, 1000 samples (kernel width 0.25, ridge alpha 1)", "Lime", lime,
         dict(baselines=0.0, feature_mask=mask, n_samples=1000, perturbations_per_eval=ppe), "perturbation"),
        ("permutation", f"Shapley value sampling (Glassbox permutation, budget {permutation_budget}; "
                        f"Captum ShapleyValueSampling, {shapley_permutations} permutations)", "ShapleyValueSampling",
         ShapleyValueSampling(model), dict(baselines=0.0, feature_mask=mask, n_samples=shapley_permutations,
                                           perturbations_per_eval=ppe), "perturbation"),
        ("integrated-gradients", f"Integrated gradients, {args.ig_steps} Gauss-Legendre steps", "IntegratedGradients",
         IntegratedGradients(model), dict(baselines=torch.zeros_like(image), n_steps=args.ig_steps, method="gausslegendre"),
         "pixels"),
        ("deep", f"DeepSHAP of the target's logit, the same {args.background} training images as background", "DeepLiftShap",
         DeepLiftShap(logits), dict(baselines=background), "pixels"),
    ]
    for key, label, captum_name, explainer, options, kind in runs:
        function = lambda: explainer.attribute(image, target=target, **options)  # noqa: E731
        rows, passes = counted(model, function)          # the warm-up run, counted
        seconds = tr.best_of(3, function, warmups=0)

        def cell_values(seed):
            torch.manual_seed(seed)
            attributions = function().detach().double().numpy().reshape(28, 28)
            if kind == "pixels":
                return np.array([attributions[segments == s].sum() for s in range(m)])
            return np.array([attributions[segments == s].mean() for s in range(m)])   # each pixel holds its cell's value
        values = cell_values(0)
        ours = glassbox["methods"][key]
        row = {"measurement": f"{label}: Captum {captum_name} / glassbox bench explain {key}",
               "index": args.index, "target": target, "captum_seconds": seconds, "glassbox_seconds": ours["seconds"],
               "ratio": seconds / ours["seconds"], "captum_model_evaluations": rows, "captum_forward_passes": passes,
               "glassbox_evaluations": ours["evaluations"], "captum_sum": float(values.sum()),
               "glassbox_sum": float(np.sum(ours["values"]))}
        if key != "lime":
            row["expected_sum"] = expected[key == "deep"]
        row["spearman_49_cells"] = spearman(values, ours["values"])
        row["max_abs_difference"] = float(np.abs(values - np.asarray(ours["values"])).max())
        if kind == "perturbation":
            # Captum against itself with another seed: the agreement its own sampling noise allows.
            row["captum_seed_0_vs_1_spearman"] = spearman(values, cell_values(1))
            row["perturbations_per_eval"] = ppe
        if key == "deep" and args.background == 100:
            # bench explain's repeats reuse the background's forward pass kept from its warm-up
            # (DeepShap keeps it per session) and push the input once, so its evaluations are 1
            # image forward (100 pairs backward); Captum runs all 200 rows every time. Whole `glassbox explain` runs explain once per process, background included.
            runs_seconds = []
            for _ in range(3):
                single = tr.run_json([args.glassbox, "explain", "--model", args.model_path, "--data", args.data, "--index", args.index,
                                      "--method", "deep", "--segments", f"grid:{GRID}", "--format", "json"])
                runs_seconds.append(single["methods"][0]["seconds"])
            row.update({"glassbox_seconds_background_included": min(runs_seconds),
                        "glassbox_evaluations_background_included": single["methods"][0]["samples"],
                        "ratio_background_included": seconds / min(runs_seconds),
                        "note": "glassbox_seconds: bench explain, background forward kept from the warm-up; "
                                "*_background_included: best of 3 `glassbox explain --method deep` processes "
                                "(in-process timer, one explanation each, its first on the session)"})
        emit(row)


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("glassbox", help="the glassbox binary (a release build)")
    parser.add_argument("--model", help="a Glassbox model file of the reference CNN (default: train a quick one)")
    parser.add_argument("--data", default=kr.DEFAULT_DATA, help=f"Fashion-MNIST IDX folder (default {kr.DEFAULT_DATA})")
    parser.add_argument("--index", type=int, default=0, help="the test image the explainers explain (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="PyTorch's seed for its training run (default 0)")
    parser.add_argument("--ort-training-python", help="a Python with onnxruntime-training (default: this one, if it has it)")
    parser.add_argument("--skip-training", action="store_true", help="leave out the training epochs")
    parser.add_argument("--perturbations-per-eval", type=int, default=256,
                        help="Captum's batch of perturbations per forward pass (default 256)")
    parser.add_argument("--ig-steps", type=int, default=50, help="integrated gradients' steps, both sides (default 50)")
    parser.add_argument("--background", type=int, default=100, help="DeepSHAP's background images, both sides (default 100)")
    args = parser.parse_args()
    if not (os.path.isfile(args.glassbox) and os.access(args.glassbox, os.X_OK)):
        raise SystemExit(f"error: {args.glassbox} is not an executable glassbox binary")
    if not os.path.isdir(args.data):
        raise SystemExit(f"error: data folder {args.data} not found")
    if args.model and not os.path.isfile(args.model):
        raise SystemExit(f"error: model file {args.model} not found")
    emit(dict(tr.cpu_description(), measurement="machine"))
    import captum
    note(f"torch {torch.__version__} ({torch.get_num_threads()} intra-op threads, {torch.get_num_interop_threads()} inter-op), "
         f"onnxruntime {onnxruntime.__version__}, captum {captum.__version__}, numpy {np.__version__}")
    try:
        test, test_labels = kr.load_split(args.data, "t10k")
        train, train_labels = kr.load_split(args.data, "train")
    except (OSError, ValueError) as error:
        raise SystemExit(f"error: {error}")
    if not 0 <= args.index < len(test):
        raise SystemExit(f"error: --index {args.index} out of range 0..{len(test) - 1}")
    emit({"measurement": "versions", "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
          "onnxruntime": onnxruntime.__version__, "captum": captum.__version__})
    with tempfile.TemporaryDirectory() as folder:
        args.model_path = prepare_model(args, folder)
        model = tr.load_glassbox_model(args.model_path).requires_grad_(False)
        check_copy(args, model, test)
        if not args.skip_training:
            training(args, train, train_labels, test, test_labels, folder)
        inference(args, model, test, folder)
        start_up(args, test, folder)
        explainers(args, model, test, train)


if __name__ == "__main__":
    main()
