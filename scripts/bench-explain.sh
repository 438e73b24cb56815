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
TF_CPP_MIN_LOG_LEVEL=2 python3 bench/shap_reference.py --model "$model" --index "$index" --methods exact,kernel,lime,deep
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
# A global run: kernel SHAP (grid:7, 2,048 samples) over 1,000 test images, images per second.
python3 - "$glassbox" "$model" <<'PY'
import subprocess, sys, time
glassbox, model = sys.argv[1:3]
start = time.perf_counter()
subprocess.run([glassbox, "explain", "--model", model, "--index", "0", "--count", "1000", "--global", "--method", "kernel",
                "--segments", "grid:7", "--format", "json"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - start
print(f'{{"global_kernel_grid7_images": 1000, "seconds": {seconds:.2f}, "images_per_second": {1000 / seconds:.1f}}}')
PY
# Rank agreement of deep (100 background images) with exact (zero baseline), grid:4, test images 0-19.
$glassbox explain --model "$model" --index 0 --count 20 --method exact,deep --segments grid:4 --format json 2>/dev/null | python3 -c '
import json, sys
values = [json.loads(line)["consistency"]["exact~deep"] for line in sys.stdin if line.strip()]
print(json.dumps({"spearman_exact_deep_mean": sum(values) / len(values), "images": len(values), "min": min(values), "max": max(values)}))'
