#!/usr/bin/env python3
"""Glassbox's tabular path beside Keras, shap and lime on the breast-cancer table, in one run.

1. Accuracy. The table (sklearn's load_breast_cancer, 569 x 30) is split once
   (train_test_split(test_size=0.2, random_state=0, stratify=y)) into train.csv / test.csv
   (header: the 30 feature names + `target`). `glassbox train --epochs 20 --batch-size 32 --seed 0`
   and the same MLP in Keras (Dense 32 relu, Dropout 0.2, Dense 16 relu, Dense 2 softmax; Adam
   0.001; features standardised with the train part's mean and population std;
   keras.utils.set_random_seed(0)) train on that split. Printed: test accuracy, test loss and the
   wall seconds of each training (Glassbox: the whole process; Keras: build + compile + fit).

2. Explainers on the same model. The Keras MLP of step 1, saved as .keras, is the model of both
   sides (Glassbox imports it with `--model file.keras`; the file has no stored schema, so the
   CSVs given to Glassbox hold already standardised features, label last). A second MLP of the
   same shape, trained on the first 10 standardised features, is the model for exact SHAP.
   For each explained row r:

   kernel  shap.KernelExplainer(f, background).shap_values(x, nsamples=N, l1_reg=False)
           vs `glassbox explain --method kernel --samples N --background B`
   exact   shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=B))(x)
           on the 10-feature model vs `glassbox explain --method exact --background B`
   lime    lime_tabular.LimeTabularExplainer(standardised train rows, discretize_continuous=True)
           .explain_instance(x, f, num_features=10, num_samples=M)
           vs `glassbox explain --method lime --samples M --num-features 10` (--data: all 569
           standardised rows)

   Each peer runs once untimed first (row 0, small budgets): shap's Exact compiles numba kernels
   on its first call (about 10 s on a 2-core Xeon), a one-off cost that would otherwise swamp it.
   f is model.predict(a, batch_size=65536, verbose=0) as float32; it counts the rows it is given,
   which is the peer's number of model evaluations. A peer's seconds cover building the explainer
   and explaining (the model is warmed up first). Glassbox's seconds are the explainer's own
   (`seconds` in the JSON) and, separately, the whole process (start, .keras import, CSV, explain).
   Ratios are peer seconds / Glassbox seconds.

   The same background on both sides. Glassbox draws its SHAP background from the --data file
   (min(B, rows) rows, seeded), and the explained row must be in that file. So for row r the
   background is r itself plus B - 1 rows drawn (numpy default_rng(0)) from the train part
   without r, and that B-row file is Glassbox's --data with --background B: Glassbox then takes
   every row of the file, the very rows shap gets. The explained row is thus one of the
   background rows on both sides; this changes nothing in how either explainer works.
   shap's KernelExplainer defaults to l1_reg="num_features(10)" (all but 10 values zero);
   l1_reg=False is used so that its 30 values compare with Glassbox's.
   LIME's discretizer quartiles come from the 455 standardised train rows for lime and from the
   569 rows of Glassbox's --data file; speed is unaffected, and the agreement shown for LIME (the
   overlap of the 10 selected features) is informational only.

Usage (from the repository root; scripts/bench-tabular.sh wraps it):

  python3 bench/tabular_peers.py [--device cpu|opencl] [--quick] [--out FILE.md] [--rows 10,200]

GLASSBOX (environment) overrides the binary (default .build/release/glassbox). Prints progress
on stderr and the Markdown report on stdout (and into --out).
"""
import argparse
import csv
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PREDICT_BATCH = 65536
SEED = 0


def log(message):
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Machine and versions


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit():
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT).returncode != 0
        return commit + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions():
    import keras
    import lime
    import scipy
    import shap
    import sklearn
    import tensorflow as tf
    try:
        from importlib.metadata import version as dist_version
        lime_version = dist_version("lime")
    except Exception:  # noqa: BLE001
        lime_version = getattr(lime, "__version__", "unknown")
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "shap": shap.__version__, "lime": lime_version}


# ----------------------------------------------------------------------------------------------
# Data


def split_table():
    """The breast-cancer table split once; index arrays into the 569 rows come along."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer()
    x = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=0.2, random_state=SEED, stratify=y)
    names = [str(n) for n in data.feature_names]
    return x, y, names, np.asarray(train_idx), np.asarray(test_idx)


def write_csv(path, names, features, labels):
    """Features written with repr (round-trips exactly: float64 as is, float32 via its double)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(names) + ["target"])
        for row, label in zip(features, labels):
            writer.writerow([repr(float(v)) for v in row] + [int(label)])


# ----------------------------------------------------------------------------------------------
# Glassbox


class GlassboxError(RuntimeError):
    def __init__(self, command, returncode, stderr):
        self.command, self.returncode, self.stderr = command, returncode, stderr.strip()
        super().__init__(f"{shlex.join(command)} exited with {returncode}: {self.stderr}")


def run_glassbox(command):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise GlassboxError(command, done.returncode, done.stderr or done.stdout)
    return done.stdout, done.stderr, wall


def glassbox_explain(binary, model, data, row, method, device, samples=None, background=None, num_features=None):
    command = [binary, "explain", "--model", model, "--data", data, "--row", str(row), "--method", method,
               "--format", "json", "--seed", str(SEED), "--device", device]
    if samples is not None:
        command += ["--samples", str(samples)]
    if background is not None:
        command += ["--background", str(background)]
    if num_features is not None:
        command += ["--num-features", str(num_features)]
    stdout, _, wall = run_glassbox(command)
    result = json.loads(stdout)
    entry = next(m for m in result["methods"] if m["method"] == method)
    return result, entry, wall, command


# ----------------------------------------------------------------------------------------------
# Keras


def build_mlp(keras, features):
    model = keras.Sequential([
        keras.Input((features,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_keras(keras, x_train, y_train, epochs, batch_size):
    keras.utils.set_random_seed(SEED)
    start = time.perf_counter()
    model = build_mlp(keras, x_train.shape[1])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    return model, time.perf_counter() - start


class CountedModel:
    """model.predict as float32 probabilities, counting the rows (model evaluations) it gets."""

    def __init__(self, model):
        self.model, self.rows, self.calls = model, 0, 0

    def __call__(self, a):
        a = np.asarray(a, dtype=np.float32)
        self.rows += a.shape[0]
        self.calls += 1
        return np.asarray(self.model.predict(a, batch_size=PREDICT_BATCH, verbose=0), dtype=np.float32)

    def reset(self):
        self.rows, self.calls = 0, 0


def class_values(values, target):
    """shap's values for one explained row and one class, as a 1-D array of features."""
    if isinstance(values, list):  # older shap: one array per class
        return np.asarray(values[target])[0]
    values = np.asarray(values)
    return values[0, :, target] if values.ndim == 3 else values[0]


# ----------------------------------------------------------------------------------------------
# Formatting


def fmt(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if not np.isfinite(value):
        return str(value)
    return f"{value:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="opencl", choices=["cpu", "opencl"], help="Glassbox's device (default opencl)")
    parser.add_argument("--quick", action="store_true", help="one row and smaller budgets (a smoke test)")
    parser.add_argument("--out", help="also write the Markdown report to this file")
    parser.add_argument("--rows", help="comma-separated rows (of the 569) to explain (default 10,200,400; --quick: 10)")
    parser.add_argument("--keep", help="keep the working files in this folder instead of a temporary one")
    args = parser.parse_args()

    binary = os.environ.get("GLASSBOX") or os.path.join(ROOT, ".build", "release", "glassbox")
    if not os.access(binary, os.X_OK):
        sys.exit(f"no glassbox binary at {binary} (set GLASSBOX)")
    rows = [int(r) for r in (args.rows or ("10" if args.quick else "10,200,400")).split(",")]
    epochs, batch_size = 20, 32
    kernel_samples = 512 if args.quick else 2048
    lime_samples = 1000 if args.quick else 5000
    background_size = 50 if args.quick else 100
    num_features = 10
    exact_features = 10

    import keras
    import lime.lime_tabular
    import shap
    from scipy.stats import spearmanr

    info = versions()
    x_raw, y, names, train_idx, test_idx = split_table()
    if any(r < 0 or r >= len(y) for r in rows):
        sys.exit(f"--rows must lie in 0..{len(y) - 1}")
    mean = x_raw[train_idx].mean(axis=0)
    std = x_raw[train_idx].std(axis=0, ddof=0)
    scale = np.where(std == 0, 1.0, std)
    z = ((x_raw - mean) / scale).astype(np.float32)  # all 569 rows, standardised with the train part's stats
    errors = []  # (what, command, message)

    folder_context = tempfile.TemporaryDirectory(prefix="glassbox-tabular-") if not args.keep else None
    folder = folder_context.name if folder_context else os.path.abspath(args.keep)
    os.makedirs(folder, exist_ok=True)
    try:
        # ---- 1. Accuracy ---------------------------------------------------------------------
        train_csv, test_csv = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
        write_csv(train_csv, names, x_raw[train_idx], y[train_idx])
        write_csv(test_csv, names, x_raw[test_idx], y[test_idx])
        log(f"[1/2] training: glassbox ({args.device}) and Keras, {epochs} epochs, batch {batch_size}")
        gb_train = {"accuracy": None, "loss": None, "wall": None}
        command = [binary, "train", "--data", train_csv, "--test-data", test_csv, "--label", "target", "--epochs", str(epochs),
                   "--batch-size", str(batch_size), "--seed", str(SEED), "--out", os.path.join(folder, "glassbox.safetensors"),
                   "--device", args.device]
        try:
            stdout, stderr, wall = run_glassbox(command)
            match = re.search(r"test accuracy:\s*([0-9.]+)\s*-\s*test loss:\s*([0-9.eE+-]+)", stdout + stderr)
            gb_train = {"accuracy": float(match.group(1)) if match else None,
                        "loss": float(match.group(2)) if match else None, "wall": wall}
            if not match:
                errors.append(("train", command, "no 'test accuracy: ... - test loss: ...' line in the output"))
        except GlassboxError as e:
            errors.append(("train", e.command, e.stderr))

        x_train, x_test = z[train_idx], z[test_idx]
        model, keras_wall = train_keras(keras, x_train, y[train_idx], epochs, batch_size)
        keras_loss, keras_accuracy = model.evaluate(x_test, y[test_idx], batch_size=len(test_idx), verbose=0)
        model10, _ = train_keras(keras, x_train[:, :exact_features], y[train_idx], epochs, batch_size)
        model_path, model10_path = os.path.join(folder, "mlp30.keras"), os.path.join(folder, "mlp10.keras")
        model.save(model_path)
        model10.save(model10_path)
        all_csv = os.path.join(folder, "standardised.csv")
        write_csv(all_csv, names, z, y)

        # ---- 2. Explainers -------------------------------------------------------------------
        f30, f10 = CountedModel(model), CountedModel(model10)
        f30(z[:background_size]), f10(z[:background_size, :exact_features])  # warm up predict (tracing)
        # One cheap glassbox process first, so that the first timed one does not pay a cold start.
        # Then the floor of a glassbox process on this model and file: predicting one row (best of 3).
        floor = None
        try:
            for _ in range(4):
                _, _, wall = run_glassbox([binary, "predict", "--model", model_path, "--data", all_csv, "--row", "0",
                                           "--format", "json", "--device", args.device])
                floor = wall if floor is None else min(floor, wall)
        except GlassboxError as e:
            errors.append(("predict (warm-up)", e.command, e.stderr))
        speed, agreement = [], []
        lime_explainer_args = dict(training_data=x_train, feature_names=names, class_names=["malignant", "benign"],
                                   discretize_continuous=True, random_state=SEED)
        rng = np.random.default_rng(SEED)
        # Warm up each peer once, untimed, on row 0 with a small budget: the first shap Exact call
        # compiles its numba kernels (about 10 s here), which is not the explainer's steady cost.
        log("[2/2] warming up the peers (untimed)")
        warm_bg = z[train_idx[:background_size]]
        shap.KernelExplainer(f30, warm_bg).shap_values(z[:1], nsamples=64, l1_reg=False, silent=True)
        shap.explainers.Exact(f10, shap.maskers.Independent(warm_bg[:, :exact_features], max_samples=background_size))(
            z[:1, :exact_features], silent=True)
        lime.lime_tabular.LimeTabularExplainer(**lime_explainer_args).explain_instance(z[0], f30, num_features=num_features,
                                                                                       num_samples=100)
        for r in rows:
            log(f"[2/2] row {r}: kernel, exact, lime")
            others = train_idx[train_idx != r]
            chosen = np.sort(np.concatenate([rng.choice(others, size=background_size - 1, replace=False), [r]]))
            position = int(np.nonzero(chosen == r)[0][0])
            background = z[chosen]
            bg_csv, bg10_csv = os.path.join(folder, f"background-{r}.csv"), os.path.join(folder, f"background10-{r}.csv")
            write_csv(bg_csv, names, background, y[chosen])
            write_csv(bg10_csv, names[:exact_features], background[:, :exact_features], y[chosen])
            x = z[r:r + 1]
            agree = {"row": r}

            # kernel
            gb = None
            try:
                result, gb, gb_wall, _ = glassbox_explain(binary, model_path, bg_csv, position, "kernel", args.device,
                                                          samples=kernel_samples, background=background_size)
                if result["background_rows"] != background_size:
                    errors.append((f"kernel row {r}", [], f"glassbox used {result['background_rows']} background rows, not {background_size}"))
                target = int(gb["target"])
            except GlassboxError as e:
                errors.append((f"kernel row {r}", e.command, e.stderr))
                target = int(np.argmax(f30(x)[0]))
            f30.reset()
            np.random.seed(SEED)  # KernelExplainer samples coalitions from numpy's global generator
            start = time.perf_counter()
            explainer = shap.KernelExplainer(f30, background)
            values = explainer.shap_values(x, nsamples=kernel_samples, l1_reg=False, silent=True)
            peer_seconds = time.perf_counter() - start
            shap_kernel = class_values(values, target)
            shap_base = float(np.atleast_1d(explainer.expected_value)[target])
            speed.append(["kernel", r, f"shap {kernel_samples} samples, {background_size} bg", peer_seconds,
                          gb["seconds"] if gb else "error", gb_wall if gb else "error",
                          ratio(peer_seconds, gb["seconds"]) if gb else None, ratio(peer_seconds, gb_wall) if gb else None,
                          f"{f30.rows:,} rows ({explainer.nsamplesRun:,} coalitions)",
                          f"{gb['samples'] * background_size:,} rows ({gb['samples']:,} coalitions)" if gb else "-"])
            if gb:
                ours = np.asarray(gb["values"], dtype=np.float64)
                agree["kernel_spearman"] = float(spearmanr(ours, shap_kernel).statistic)
                agree["kernel_maxdiff"] = float(np.max(np.abs(ours - shap_kernel)))
                agree["kernel_base_diff"] = abs(float(gb["base_value"]) - shap_base)

            # exact (10 features)
            x10 = x[:, :exact_features]
            gb = None
            try:
                result, gb, gb_wall, _ = glassbox_explain(binary, model10_path, bg10_csv, position, "exact", args.device,
                                                          background=background_size)
                target10 = int(gb["target"])
            except GlassboxError as e:
                errors.append((f"exact row {r}", e.command, e.stderr))
                target10 = int(np.argmax(f10(x10)[0]))
            f10.reset()
            start = time.perf_counter()
            masker = shap.maskers.Independent(background[:, :exact_features], max_samples=background_size)
            explanation = shap.explainers.Exact(f10, masker)(x10, silent=True)
            peer_seconds = time.perf_counter() - start
            shap_exact = class_values(explanation.values, target10)
            speed.append(["exact (10 features)", r, f"shap Exact, {background_size} bg", peer_seconds,
                          gb["seconds"] if gb else "error", gb_wall if gb else "error",
                          ratio(peer_seconds, gb["seconds"]) if gb else None, ratio(peer_seconds, gb_wall) if gb else None,
                          f"{f10.rows:,} rows ({f10.calls} call{'' if f10.calls == 1 else 's'})",
                          f"{gb['samples'] * background_size:,} rows ({gb['samples']:,} coalitions)" if gb else "-"])
            if gb:
                agree["exact_maxdiff"] = float(np.max(np.abs(np.asarray(gb["values"]) - shap_exact)))
                agree["exact_base_diff"] = abs(float(gb["base_value"]) - float(np.asarray(explanation.base_values)[0][target10]))

            # lime
            gb = None
            try:
                result, gb, gb_wall, _ = glassbox_explain(binary, model_path, all_csv, r, "lime", args.device,
                                                          samples=lime_samples, num_features=num_features)
                target = int(gb["target"])
            except GlassboxError as e:
                errors.append((f"lime row {r}", e.command, e.stderr))
                target = int(np.argmax(f30(x)[0]))
            f30.reset()
            start = time.perf_counter()
            lime_explainer = lime.lime_tabular.LimeTabularExplainer(**lime_explainer_args)
            lime_result = lime_explainer.explain_instance(x[0], f30, labels=(target,), num_features=num_features,
                                                          num_samples=lime_samples)
            peer_seconds = time.perf_counter() - start
            speed.append(["lime", r, f"lime_tabular {lime_samples} samples", peer_seconds,
                          gb["seconds"] if gb else "error", gb_wall if gb else "error",
                          ratio(peer_seconds, gb["seconds"]) if gb else None, ratio(peer_seconds, gb_wall) if gb else None,
                          f"{f30.rows:,} rows", f"{gb['samples']:,} rows" if gb else "-"])
            if gb:
                lime_weights = dict(lime_result.as_map()[target])
                ours = np.asarray(gb["values"], dtype=np.float64)
                our_set = set(int(i) for i in np.argsort(-np.abs(ours))[:num_features] if ours[i] != 0)
                common = our_set & set(lime_weights)
                agree["lime_overlap"] = f"{len(common)}/{num_features}"
                agree["lime_signs"] = f"{sum(np.sign(ours[i]) == np.sign(lime_weights[i]) for i in common)}/{len(common)}"
            agreement.append(agree)
    finally:
        if folder_context:
            folder_context.cleanup()

    # ---- Report --------------------------------------------------------------------------------
    gb_device = {"opencl": "OpenCL", "cpu": "CPU reference"}[args.device]
    lines = [
        f"## Glassbox tabular vs Keras / shap / lime ({'quick' if args.quick else 'full'} run)",
        "",
        f"- CPU: {cpu_model()} ({os.cpu_count()} logical cores)",
        f"- commit: {git_commit()}; glassbox binary: {os.path.relpath(binary, ROOT) if binary.startswith(ROOT) else binary}; "
        f"glassbox device: {args.device}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        f"- data: breast cancer 569 x 30, train_test_split(test_size=0.2, random_state=0, stratify=y): "
        f"{len(train_idx)} train / {len(test_idx)} test rows",
        "",
        f"### Training (MLP 32-relu, dropout 0.2, 16-relu, softmax; Adam 0.001; {epochs} epochs, batch {batch_size}, seed 0)",
        "",
        table(["trainer", "test accuracy", "test loss", "wall s"], [
            [f"glassbox train ({gb_device}, whole process)", fmt(gb_train["accuracy"], 4), fmt(gb_train["loss"], 4),
             fmt(gb_train["wall"], 2)],
            ["Keras (build + compile + fit)", fmt(float(keras_accuracy), 4), fmt(float(keras_loss), 4), fmt(keras_wall, 2)],
        ]),
        "",
        f"Training speed ratio (Keras wall / glassbox wall): {fmt(ratio(keras_wall, gb_train['wall']), 1)}x",
        "",
        f"### Explainers on the same Keras model (.keras imported by glassbox, {gb_device})",
        "",
        "Ratios: peer seconds / glassbox explainer seconds (JSON `seconds`), and / glassbox whole-process wall seconds. "
        f"Background: {background_size} rows, the same on both sides (the explained row plus {background_size - 1} "
        "seeded train rows). Model rows = rows fed to the model.",
        f"The floor of a glassbox process here (`glassbox predict --row 0` on the same .keras and 569-row CSV: start, "
        f"import, CSV, one prediction; best of 3): {fmt(floor)} s.",
        "",
        table(["method", "row", "peer", "peer s", "glassbox s", "glassbox wall s", "peer / glassbox s",
               "peer / glassbox wall", "peer model rows", "glassbox model rows"],
              [[m, str(r), p, ps, gs, gw, fmt(a, 1) + "x" if a else "-", fmt(b, 1) + "x" if b else "-", pr, gr]
               for m, r, p, ps, gs, gw, a, b, pr, gr in speed]),
        "",
    ]
    for method in ["kernel", "exact (10 features)", "lime"]:
        peer = [s[3] for s in speed if s[0] == method]
        ours = [s[4] for s in speed if s[0] == method and not isinstance(s[4], str)]
        walls = [s[5] for s in speed if s[0] == method and not isinstance(s[5], str)]
        if peer and ours:
            lines.append(f"- {method}: median peer {np.median(peer):.3f} s, glassbox {np.median(ours):.4f} s "
                         f"(wall {np.median(walls):.3f} s): {np.median(peer) / np.median(ours):.1f}x / "
                         f"{np.median(peer) / np.median(walls):.1f}x")
    lines += [
        "",
        "### Agreement",
        "",
        table(["row", "kernel Spearman (glassbox vs shap)", "kernel max abs diff", "kernel base diff",
               "exact max abs diff", "exact base diff", "lime top-10 overlap", "lime signs agree"],
              [[str(a["row"]), fmt(a.get("kernel_spearman"), 4), fmt(a.get("kernel_maxdiff"), 4),
                f"{a['kernel_base_diff']:.2e}" if "kernel_base_diff" in a else "-",
                f"{a['exact_maxdiff']:.2e}" if "exact_maxdiff" in a else "-",
                f"{a['exact_base_diff']:.2e}" if "exact_base_diff" in a else "-",
                a.get("lime_overlap", "-"), a.get("lime_signs", "-")] for a in agreement]),
        "",
        "Kernel: both sample coalitions at random, so values agree in ranking, not digit for digit. Exact: the same "
        "Shapley values up to float rounding. LIME: quartiles from 455 train rows (lime) vs the 569 rows of "
        "glassbox's --data file; different random samples.",
    ]
    if errors:
        lines += ["", "### Glassbox errors", ""]
        for what, command, message in errors:
            lines.append(f"- {what}: `{shlex.join(command)}`" if command else f"- {what}")
            lines.append(f"  - {message}")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
