#!/usr/bin/env bash
# The main job: build in release mode, list the devices, train the reference CNN for 5 epochs on
# Fashion-MNIST (or DATA=folder of IDX files), and write the model, its summary and diagram, and a
# sample of predictions into ./out.
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
echo "wrote out/model.safetensors, out/summary.txt, out/model.png, out/model.dot, out/predictions.json, out/predictions.txt"
