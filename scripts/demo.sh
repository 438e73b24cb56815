#!/usr/bin/env bash
# The main job: build in release mode, list the devices, train the reference CNN for 5 epochs on
# Fashion-MNIST (or DATA=folder of IDX files), and write into ./out the model, its summary and
# diagram, a sample of predictions, explanations of three test images (heatmap PNGs, HTML
# reports, JSON), a global DeepSHAP summary over 500 test images, a global surrogate tree, and the
# workflow's functional model (summary, diagram with shapes, (28, 10) probabilities of one image),
# and the residual example (a graph with batch normalisation and an Add) trained for one epoch,
# its diagram, and DeepSHAP and occlusion of one prediction; then the breast cancer table: the
# example MLP, LIME and SHAP of row 10, a global summary and a surrogate tree.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product glassbox
glassbox=.build/release/glassbox
data=${DATA:-/usr/share/datasets/fashion-mnist}
mkdir -p out
$glassbox devices
$glassbox train --data "$data" --epochs "${EPOCHS:-5}" --batch-size 32 --seed 0 --out out/model.safetensors
$glassbox summary --model out/model.safetensors | tee out/summary.txt
$glassbox plot --model out/model.safetensors --out out/model.png
$glassbox plot --model out/model.safetensors --out out/model.dot
$glassbox predict --model out/model.safetensors --data "$data" --index 0 --count 10 --format json > out/predictions.json
$glassbox predict --model out/model.safetensors --data "$data" --index 0 --count 10 | tee out/predictions.txt
$glassbox explain --model out/model.safetensors --data "$data" --index 0 --count 3 --segments grid:4 \
    --method exact,kernel,partition,lime,occlusion,integrated-gradients,gradient-shap,deep \
    --png out/explain.png --report out/report.html --format json > out/explanations.jsonl
$glassbox explain --model out/model.safetensors --data "$data" --index 0 --segments grid:4 --method exact,kernel,lime
# Global view: DeepSHAP over the first 500 test images, per-class maps and a summary plot.
$glassbox explain --model out/model.safetensors --data "$data" --count 500 --global --method deep --segments grid:7 \
    --png out/global.png --report out/global.html | tee out/global.txt
$glassbox surrogate --model out/model.safetensors --data "$data" --out out/surrogate.png | tee out/surrogate.txt
# The workflow's second model, a Keras functional graph: Dense(128) on the last axis of 28x28x1,
# ReduceSum over axis 1, Dense(10, softmax); built from its Keras JSON, drawn, used to predict.
$glassbox init --architecture examples/seed-functional.json --seed 0 --out out/seed-functional.safetensors | tee out/seed-functional-summary.txt
$glassbox plot --model out/seed-functional.safetensors --out out/seed-functional.png
$glassbox predict --model out/seed-functional.safetensors --data "$data" --index 0 | tee out/seed-functional-predictions.txt
# A graph: examples/residual-cnn.json (Keras's JSON of a small residual CNN), one epoch.
$glassbox train --architecture examples/residual-cnn.json --data "$data" --epochs "${RESIDUAL_EPOCHS:-1}" --batch-size 32 --seed 0 \
    --out out/residual.safetensors | tee out/residual-training.txt
$glassbox summary --model out/residual.safetensors | tee out/residual-summary.txt
$glassbox plot --model out/residual.safetensors --out out/residual.png
$glassbox explain --model out/residual.safetensors --data "$data" --index 0 --segments grid:4 --method deep,occlusion \
    --png out/residual-explain.png | tee out/residual-explain.txt
# Tables: the example MLP on scikit-learn's breast cancer table (python3-sklearn; feature names from
# its description), row 10 explained with LIME and KernelSHAP (top 10 features), a global DeepSHAP
# summary over every row, and a regression tree of p(benign) on the columns.
$glassbox train --data breast-cancer --epochs 20 --batch-size 32 --seed 0 --out out/breast-cancer.safetensors | tee out/breast-cancer-training.txt
$glassbox explain --model out/breast-cancer.safetensors --data breast-cancer --row 10 --method lime,kernel --num-features 10 \
    --png out/breast-cancer-row10.png --report out/breast-cancer-row10.html | tee out/breast-cancer-row10.txt
$glassbox explain --model out/breast-cancer.safetensors --data breast-cancer --global --count 569 --method deep \
    --png out/breast-cancer-global.png --report out/breast-cancer-global.html | tee out/breast-cancer-global.txt
$glassbox surrogate --model out/breast-cancer.safetensors --data breast-cancer --regression --max-depth 3 \
    --out out/breast-cancer-tree.png | tee out/breast-cancer-tree.txt
echo "wrote into out/: model.safetensors, summary.txt, model.png, model.dot, predictions.json, predictions.txt,"
echo "  explain-0.png ... explain-2.png, report-0.html ... report-2.html, explanations.jsonl,"
echo "  global.png, global-summary.png, global.html, global.txt, surrogate.png, surrogate.txt,"
echo "  seed-functional.safetensors, seed-functional-summary.txt, seed-functional.png, seed-functional-predictions.txt,"
echo "  residual.safetensors, residual-training.txt, residual-summary.txt, residual.png, residual-explain.png, residual-explain.txt,"
echo "  breast-cancer.safetensors, breast-cancer-training.txt, breast-cancer-row10.{png,html,txt},"
echo "  breast-cancer-global-summary.png, breast-cancer-global.{html,txt}, breast-cancer-tree.{png,txt}"
