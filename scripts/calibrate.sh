#!/usr/bin/env bash
# Calibration of the sampled methods' standard errors and intervals (issue 16): `glassbox
# calibrate` runs permutation, kernel and LIME (both error models), gradient-shap and deep (logit
# and probability) with SEEDS seeds (default 500) at a fixed budget on the first IMAGES test
# images (default 2) cut into 12 segments, against exact values, and writes the table with the
# machine and commit into CALIBRATION.md (OUT=... to write elsewhere). Needs a trained model
# (MODEL=..., default out/model.safetensors from `make demo`; a quick one is trained when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product glassbox
glassbox=.build/release/glassbox
model=${MODEL:-out/model.safetensors}
data=${DATA:-/usr/share/datasets/fashion-mnist}
out=${OUT:-CALIBRATION.md}
if [ ! -f "$model" ]; then
    echo "calibrate: no $model; training a quick model (one epoch on 12,000 images)" >&2
    mkdir -p "$(dirname "$model")"
    $glassbox train --data "$data" --epochs 1 --limit 12000 --batch-size 32 --seed 0 --out "$model"
fi
seeds=${SEEDS:-500}
images=${IMAGES:-2}
table=$(mktemp)
trap 'rm -f "$table"' EXIT
start=$(date +%s)
$glassbox calibrate --model "$model" --data "$data" --seeds "$seeds" --images "$images" > "$table"
seconds=$(( $(date +%s) - start ))
{
    echo "# Calibration of the sampled attributions"
    echo
    echo "Written by \`make calibrate\` (scripts/calibrate.sh): \`glassbox calibrate --model $model --seeds $seeds --images $images\`"
    echo "on commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)'),"
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(date -u +%Y-%m-%d), ${seconds} s."
    echo
    echo "Each row: one method on one Fashion-MNIST test image cut into a 4 x 3 grid (12 segments), explaining the"
    echo "predicted class against a zero baseline, run once per seed at the budget shown. The true values:"
    echo "exact Shapley values (2^12 coalitions) for permutation and kernel; the weighted least-squares fit over"
    echo "all 2^12 coalitions for LIME (its infinite-sample limit); a run of 100 times the budget for"
    echo "gradient-shap (noise 0.09, 100 training images as background); the mean over a pool of 1,000"
    echo "training images for deep, whose backgrounds of 100 are drawn from that pool. Targets: coverage"
    echo "0.93-0.97 for 95% intervals, reported / actual error 0.85-1.15 (mean reported standard error over the"
    echo "seeds divided by the standard deviation of the values across seeds, averaged over segments), slope"
    echo "-0.5 (log mean standard error against log evaluations, between the budget and four times it)."
    echo
    cat "$table"
    cat scripts/calibration-notes.md
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "calibrate: wrote $out" >&2
