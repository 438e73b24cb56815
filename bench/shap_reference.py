#!/usr/bin/env python3
"""The peer for `glassbox bench explain`: the `shap` and `lime` packages on the same Keras model
(weights loaded from a Glassbox model file), the same input, the same grid segments and a zero
baseline. Prints one JSON object with seconds and values per method.

  python3 bench/shap_reference.py --model out/model.safetensors --index 0 --methods exact,kernel,lime
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference as kr  # noqa: E402


def grid_segments(grid, side=28):
    """Glassbox's grid:G numbering: row-major blocks, the last row/column absorbing the remainder."""
    block = side // grid
    ids = np.zeros((side, side), dtype=np.int64)
    for y in range(side):
        for x in range(side):
            ids[y, x] = min(y // block, grid - 1) * grid + min(x // block, grid - 1)
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", default=kr.DEFAULT_DATA if hasattr(kr, "DEFAULT_DATA") else "/usr/share/datasets/fashion-mnist")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--methods", default="exact,kernel,lime")
    parser.add_argument("--exact-grid", type=int, default=4)
    parser.add_argument("--kernel-grid", type=int, default=7)
    parser.add_argument("--kernel-samples", type=int, default=2048)
    parser.add_argument("--lime-grid", type=int, default=7)
    parser.add_argument("--lime-samples", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--deep-background", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    tf, keras = kr.setup(args)
    import shap
    model = kr.build_model(keras)
    kr.load_glassbox_weights(model, args.model)
    images, _ = kr.load_split(args.data, "t10k")
    image = images[args.index].reshape(28, 28).astype(np.float32)
    probabilities = model.predict(image.reshape(1, 28, 28, 1), verbose=0)[0]
    target = int(np.argmax(probabilities))
    result = {"framework": "shap", "shap": shap.__version__, "tensorflow": tf.__version__, "index": args.index,
              "target": target, "methods": {}}

    def masked_model(segments):
        flat = segments.reshape(-1)

        def f(z):
            z = np.asarray(z, dtype=np.float32)
            masks = z[:, flat].reshape(-1, 28, 28, 1)
            batch = image.reshape(1, 28, 28, 1) * masks   # zero baseline where a segment is absent
            return model.predict(batch, batch_size=args.batch_size, verbose=0)[:, target]
        return f

    for method in args.methods.split(","):
        if method == "exact":
            segments = grid_segments(args.exact_grid)
            m = args.exact_grid ** 2
            f = masked_model(segments)
            explainer = shap.explainers.Exact(f, shap.maskers.Independent(np.zeros((1, m)), max_samples=1))
            start = time.perf_counter()
            explanation = explainer(np.ones((1, m)))
            seconds = time.perf_counter() - start
            values = explanation.values[0]
        elif method == "kernel":
            segments = grid_segments(args.kernel_grid)
            m = args.kernel_grid ** 2
            f = masked_model(segments)
            explainer = shap.KernelExplainer(f, np.zeros((1, m)))
            start = time.perf_counter()
            values = explainer.shap_values(np.ones((1, m)), nsamples=args.kernel_samples, silent=True)[0]
            seconds = time.perf_counter() - start
        elif method == "lime":
            from lime import lime_image
            segments = grid_segments(args.lime_grid)

            def classifier(rgb):
                gray = np.asarray(rgb, dtype=np.float32)[..., 0].reshape(-1, 28, 28, 1)
                return model.predict(gray, batch_size=args.batch_size, verbose=0)

            explainer = lime_image.LimeImageExplainer(random_state=args.seed)
            start = time.perf_counter()
            explanation = explainer.explain_instance(image.astype(np.double), classifier, labels=(target,), top_labels=None,
                                                     hide_color=0, num_samples=args.lime_samples,
                                                     segmentation_fn=lambda _: segments, random_seed=args.seed)
            seconds = time.perf_counter() - start
            weights = dict(explanation.local_exp[target])
            values = [weights.get(s, 0.0) for s in range(args.lime_grid ** 2)]
        elif method == "deep":
            train, _ = kr.load_split(args.data, "train")
            rng = np.random.default_rng(args.seed)
            background = train[rng.choice(len(train), size=args.deep_background, replace=False)]
            segments = grid_segments(args.exact_grid)
            explainer = shap.DeepExplainer(model, background)
            start = time.perf_counter()
            # Only the predicted class, as Glassbox explains one target (ranked_outputs=1).
            pixel_values, ranked = explainer.shap_values(image.reshape(1, 28, 28, 1), ranked_outputs=1, check_additivity=False)
            seconds = time.perf_counter() - start
            assert int(np.asarray(ranked).ravel()[0]) == target
            target_map = np.asarray(pixel_values).reshape(-1)[:784].reshape(28, 28)
            values = [float(target_map[segments == s].sum()) for s in range(args.exact_grid ** 2)]
        else:
            raise SystemExit(f"unknown method {method}")
        result["methods"][method] = {"seconds": seconds, "values": [float(v) for v in values]}
        print(f"{method}: {seconds:.3f} s", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
