#!/usr/bin/env python3
"""Writes Tests/Fixtures/shap-deep-reference.json: shap's DeepExplainer on the Keras interop
fixture model (Tests/Fixtures/keras-reference.safetensors), for the fixture's test images 0, 1, 2
against a background of its images 3 to 9, for each image's predicted class. DeepShapTests check
Glassbox's `deep` against these per-pixel values.

  python3 bench/shap_deep_fixture.py
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference as kr  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(FIXTURES, "shap-deep-reference.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    tf, keras = kr.setup(args)
    import shap

    model = kr.build_model(keras)
    kr.load_glassbox_weights(model, os.path.join(FIXTURES, "keras-reference.safetensors"))
    with open(os.path.join(FIXTURES, "keras-reference-probabilities.json")) as f:
        reference = json.load(f)
    images = np.asarray(reference["images"], dtype=np.float32).reshape(-1, 28, 28, 1) / np.float32(255)
    explained, background = [0, 1, 2], list(range(3, 10))
    explainer = shap.DeepExplainer(model, images[background])
    rows = []
    for i in explained:
        probabilities = model.predict(images[i:i + 1], verbose=0)[0]
        target = int(np.argmax(probabilities))
        values = explainer.shap_values(images[i:i + 1], check_additivity=True)
        values = np.asarray(values)
        # shap >= 0.45 returns (samples, *input shape, outputs); older versions a list per output.
        per_pixel = values[0, ..., target] if values.ndim == 5 else values[target][0]
        rows.append({"image": i, "target": target, "probability": float(probabilities[target]),
                     "values": [float(v) for v in per_pixel.reshape(-1)]})
        print(f"image {i}: class {target}, sum {per_pixel.sum():.6f}", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump({"shap": shap.__version__, "tensorflow": tf.__version__, "background": background, "explained": rows}, f)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
