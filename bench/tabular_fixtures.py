#!/usr/bin/env python3
"""Writes the tabular fixtures under Tests/Fixtures/tabular/, which feed the tests in
Tests/GlassboxTests/Tabular:

- mlp30.keras: an MLP (Dense 32 relu, Dropout 0.2, Dense 16 relu, Dense 2 softmax) trained
  for 10 epochs on the standardised breast-cancer data (all 30 features).
- mlp10.keras: a small MLP (Dense 8 relu, Dense 2 softmax) trained for 10 epochs on the first 10
  standardised features.
- tabular.json (compact): library versions, the standardised data (base64 little-endian float32,
  row-major, 569 x 30) with its mean and scale, shap ExactExplainer values on mlp10 (checked here
  against a brute-force interventional Shapley computation) and lime_tabular weights on mlp30 for
  random_state 0 and 1.

Deterministic: Python, NumPy and Keras seeds are fixed and TensorFlow op determinism is on, so
tabular.json and the saved weights repeat exactly; the .keras zips still differ from run to run
in metadata.json's date_saved and in config.json's dtype-policy shared_object_id (a Python id()).
Run from the repository root (TensorFlow on the CPU is enough):

  python3 bench/tabular_fixtures.py
"""
import argparse
import base64
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "tabular")
CLASS_NAMES = ["malignant", "benign"]
TARGET = 1


def log(message):
    print(message, flush=True)


def load_data():
    """Breast-cancer data standardised with the population statistics of all 569 rows (float32)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    raw = np.asarray(data.data, dtype=np.float64)
    mean = raw.mean(axis=0)
    std = raw.std(axis=0, ddof=0)
    scale = np.where(std == 0, 1.0, std)
    mean32 = mean.astype(np.float32)
    scale32 = scale.astype(np.float32)
    x = ((raw.astype(np.float32) - mean32) / scale32).astype(np.float32)
    y = np.asarray(data.target, dtype=np.int64)
    names = [str(n) for n in data.feature_names]
    return x, y, names, mean32, scale32


def train(keras, layers, x, y, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=32, shuffle=True, verbose=0)
    return model, float(history.history["accuracy"][-1])


def brute_force_shapley(f, x_row, background, target):
    """Exact interventional Shapley values: v(S) = mean_b f(x_S, b_notS)[target] over all 2^n
    coalitions, combined with the Shapley weights |S|! (n - |S| - 1)! / n!."""
    n = x_row.shape[0]
    masks = ((np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)  # (2^n, n)
    inputs = np.where(masks[:, None, :], x_row[None, None, :], background[None, :, :])
    outputs = f(inputs.reshape(-1, n).astype(np.float32))[:, target]
    value = outputs.reshape(1 << n, background.shape[0]).mean(axis=1)
    weights = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    phi = np.zeros(n)
    for code in range(1 << n):
        size = bin(code).count("1")
        for i in range(n):
            if not code >> i & 1:
                phi[i] += weights[size] * (value[code | 1 << i] - value[code])
    return phi, value[0]


def exact_part(shap, mlp10, x):
    bg = np.random.default_rng(1).choice(x.shape[0], size=20, replace=False)
    bg = [int(i) for i in bg]
    rows = [10, 20, 30, 40, 50]
    background = x[bg, :10]

    def f(a):
        return np.asarray(mlp10.predict(np.asarray(a, dtype=np.float32), batch_size=4096, verbose=0),
                          dtype=np.float64)

    masker = shap.maskers.Independent(background, max_samples=20)
    explainer = shap.explainers.ExactExplainer(f, masker)
    assert type(explainer).__name__ == "ExactExplainer", type(explainer)
    start = time.perf_counter()
    sv = explainer(x[rows, :10])
    shap_time = time.perf_counter() - start
    values = np.asarray(sv.values)
    base_values = np.asarray(sv.base_values)
    log(f"exact: sv.values shape {values.shape}, sv.base_values shape {base_values.shape}, "
        f"shap time {shap_time:.2f}s")
    assert values.shape == (len(rows), 10, 2), values.shape

    # Brute force on one row (the first explained row).
    start = time.perf_counter()
    phi, base = brute_force_shapley(f, x[rows[0], :10], background, TARGET)
    brute_time = time.perf_counter() - start
    diff = float(np.max(np.abs(phi - values[0, :, TARGET])))
    base_diff = abs(float(base) - float(base_values[0, TARGET]))
    log(f"exact: brute force row {rows[0]}: max |phi_brute - phi_shap| = {diff:.3e}, "
        f"base value diff {base_diff:.3e}, brute time {brute_time:.2f}s")
    assert diff < 1e-6 and base_diff < 1e-6, (diff, base_diff)
    # Efficiency: values sum to f(x) - base.
    fx = f(x[rows, :10])[:, TARGET]
    eff = float(np.max(np.abs(values[:, :, TARGET].sum(axis=1) + base_values[:, TARGET] - fx)))
    log(f"exact: max efficiency gap |sum(phi) + base - f(x)| = {eff:.3e}")

    return {
        "background": bg,
        "rows": rows,
        "target": TARGET,
        "max_samples": 20,
        "values": [[float(v) for v in values[r, :, TARGET]] for r in range(len(rows))],
        "base_values": [float(base_values[r, TARGET]) for r in range(len(rows))],
        "brute_force_max_diff": diff,
    }, {"shap": shap_time, "brute_force": brute_time}


def lime_run(lime_tabular, x, names, predict_fn, rows, seed):
    # One explainer per seed, rows explained in order: lime's RandomState advances across calls.
    explainer = lime_tabular.LimeTabularExplainer(
        x, feature_names=names, class_names=CLASS_NAMES, discretize_continuous=True, random_state=seed)
    out = []
    for r in rows:
        exp = explainer.explain_instance(x[r], predict_fn, labels=(TARGET,), num_features=10,
                                         num_samples=5000)
        out.append({
            "weights": [[int(i), float(w)] for i, w in exp.as_map()[TARGET]],
            "rules": [str(rule) for rule, _ in exp.as_list(label=TARGET)],
            "score": float(exp.score),
            "intercept": float(exp.intercept[TARGET]),
        })
    return out


def lime_part(lime_tabular, mlp30, x, names):
    from scipy.stats import spearmanr

    rows = list(range(10, 210, 10))

    def predict_fn(a):
        return mlp30.predict(a.astype(np.float32), batch_size=8192, verbose=0)

    start = time.perf_counter()
    seed0 = lime_run(lime_tabular, x, names, predict_fn, rows, 0)
    t0 = time.perf_counter() - start
    start = time.perf_counter()
    seed1 = lime_run(lime_tabular, x, names, predict_fn, rows, 1)
    t1 = time.perf_counter() - start

    rhos, overlaps = [], []
    for a, b in zip(seed0, seed1):
        top = [i for i, _ in a["weights"]]
        w0 = [w for _, w in a["weights"]]
        other = {i: w for i, w in b["weights"]}
        w1 = [other.get(i, 0.0) for i in top]
        rho = spearmanr(w0, w1).statistic
        rhos.append(0.0 if np.isnan(rho) else float(rho))
        overlaps.append(len(set(top) & set(other)))
    mean_rho = float(np.mean(rhos))
    log(f"lime: seed0 vs seed1 Spearman per row {[round(r, 3) for r in rhos]}")
    log(f"lime: mean Spearman {mean_rho:.4f}, min {min(rhos):.4f}; top-10 overlap mean "
        f"{np.mean(overlaps):.2f}, min {min(overlaps)}")
    log(f"lime: score range {min(e['score'] for e in seed0):.4f}..{max(e['score'] for e in seed0):.4f}")

    return {
        "rows": rows,
        "target": TARGET,
        "samples": 5000,
        "num_features": 10,
        "class_names": CLASS_NAMES,
        "discretizer": "quartile",
        "explainer_reuse": "one LimeTabularExplainer per seed, rows explained in the listed order",
        "weights": [e["weights"] for e in seed0],
        "rules": [e["rules"] for e in seed0],
        "score": [e["score"] for e in seed0],
        "intercept": [e["intercept"] for e in seed0],
        "weights_seed1": [e["weights"] for e in seed1],
        "seed_spearman": rhos,
        "seed_spearman_mean": mean_rho,
    }, {"lime_seed0": t0, "lime_seed1": t1}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=OUT_DIR)
    args = parser.parse_args()

    random.seed(0)
    np.random.seed(0)
    times = {}
    start = time.perf_counter()
    import tensorflow as tf
    import keras
    import shap
    import sklearn
    from lime import lime_tabular
    from importlib.metadata import version

    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    times["imports"] = time.perf_counter() - start
    os.makedirs(args.out, exist_ok=True)

    x, y, names, mean, scale = load_data()
    assert x.shape == (569, 30) and x.dtype == np.float32

    start = time.perf_counter()
    layers = keras.layers
    mlp30, acc30 = train(keras, [keras.Input((30,)), layers.Dense(32, activation="relu"), layers.Dropout(0.2),
                                 layers.Dense(16, activation="relu"), layers.Dense(2, activation="softmax")],
                         x, y, 0)
    mlp10, acc10 = train(keras, [keras.Input((10,)), layers.Dense(8, activation="relu"),
                                 layers.Dense(2, activation="softmax")], x[:, :10], y, 0)
    mlp30.save(os.path.join(args.out, "mlp30.keras"))
    mlp10.save(os.path.join(args.out, "mlp10.keras"))
    times["train"] = time.perf_counter() - start
    log(f"train: mlp30 final accuracy {acc30:.4f}, mlp10 final accuracy {acc10:.4f}")

    start = time.perf_counter()
    exact, exact_times = exact_part(shap, mlp10, x)
    times["exact"] = time.perf_counter() - start
    times.update({f"exact_{k}": v for k, v in exact_times.items()})

    start = time.perf_counter()
    lime_out, lime_times = lime_part(lime_tabular, mlp30, x, names)
    times["lime"] = time.perf_counter() - start
    times.update(lime_times)

    fixture = {
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "shap": shap.__version__,
            "lime": version("lime"),
            "sklearn": sklearn.__version__,
        },
        "script": "bench/tabular_fixtures.py",
        "feature_names": names,
        "rows": int(x.shape[0]),
        "features": int(x.shape[1]),
        "x": base64.b64encode(x.astype("<f4").tobytes(order="C")).decode("ascii"),
        "mean": [float(v) for v in mean],
        "scale": [float(v) for v in scale],
        "exact": exact,
        "lime": lime_out,
    }
    path = os.path.join(args.out, "tabular.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")

    for key, value in times.items():
        log(f"time {key}: {value:.2f}s")
    total = 0
    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(os.path.join(args.out, name))
        total += size
        log(f"size {name}: {size} bytes")
    log(f"size total: {total} bytes")
    assert total < 1_000_000, total


if __name__ == "__main__":
    sys.exit(main())
