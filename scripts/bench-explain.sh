#!/usr/bin/env bash
# Explainers beside the shap and lime packages on the same Keras model, input, segments and zero
# baseline, in one run: exact (grid:4, 65,536 evaluations), KernelSHAP (grid:7, 2,048 samples),
# LIME (grid:7, 1,000 samples); then the peak memory of a whole `glassbox explain --method exact`.
# Needs a trained model (MODEL=..., default out/model.safetensors from `make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 -c "import tensorflow, shap, lime" 2>/dev/null || pip install tensorflow-cpu shap lime
swift build -c release --product glassbox
glassbox=.build/release/glassbox
model=${MODEL:-out/model.safetensors}
index=${INDEX:-0}
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
$glassbox bench explain --model "$model" --index "$index"
TF_CPP_MIN_LOG_LEVEL=2 python3 bench/shap_reference.py --model "$model" --index "$index" --methods exact,kernel,lime
python3 - "$glassbox" "$model" "$index" <<'PY'
# Peak resident memory of a whole `glassbox explain --method exact` process on the image alone
# (written as a PGM), so that loading the data set does not count.
import gzip, os, resource, subprocess, sys, tempfile
glassbox, model, index = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
pixels = raw[16 + 784 * index:16 + 784 * (index + 1)]
with tempfile.TemporaryDirectory() as folder:
    image = os.path.join(folder, "image.pgm")
    with open(image, "wb") as f:
        f.write(b"P5\n28 28\n255\n" + pixels)
    subprocess.run([glassbox, "explain", "--model", model, "--image", image, "--method", "exact", "--segments", "grid:4"],
                   check=True, stdout=subprocess.DEVNULL)
print(f'{{"peak_resident_mb_glassbox_explain_exact": {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}}}')
PY
