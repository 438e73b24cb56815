#!/usr/bin/env bash
# Issue 17's scaling figures (BENCHMARKS.md, "Many machines"): on the default data, with the
# release build with the MPI trait, each on N = 1 rank (no mpirun) and N = 2 ranks
# (`mpirun --oversubscribe -np 2`), on DEVICES (default: opencl, PoCL here; `DEVICES="opencl cpu"` adds the CPU reference):
#  - `explain --global` over IMAGES (2000) test images with METHOD (kernel) at SAMPLES (256)
#    on a 4x4 grid; checks that N = 2 printed what N = 1 printed;
#  - one training epoch of the reference CNN over TRAIN_LIMIT (all) training images, batch 32;
#    prints the largest relative difference of the two models' weight tensors, their test
#    accuracies, and the time per step N = 2 spent summing gradients (copies and allreduce).
# Each time is the shortest of REPEATS (2) runs, N = 1 and N = 2 alternating. Prints a Markdown
# table (seconds and the N = 1 / N = 2 ratio) with the CPU model and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_PACKAGES="libopenmpi-dev openmpi-bin" scripts/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
swift build -c release --traits MPI --scratch-path .build-mpi --product glassbox >&2
bin=$PWD/.build-mpi/release/glassbox
repeats=${REPEATS:-2} images=${IMAGES:-2000} method=${METHOD:-kernel} samples=${SAMPLES:-256} devices=${DEVICES:-opencl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
run() {  # run N ARGS...: glassbox ARGS on N ranks
    local n=$1; shift
    if [ "$n" -eq 1 ]; then "$bin" "$@"; else mpirun --oversubscribe -np "$n" "$bin" "$@"; fi
}
"$bin" train --epochs 1 --limit 6000 --out "$work/model.safetensors" --device opencl > /dev/null 2>&1

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Kernels || echo ' (with local changes)')"
echo
echo "| job | device | N = 1 (s) | N = 2 (s) | speed-up | N = 2 equals N = 1 |"
echo "|---|---|---:|---:|---:|---|"
for device in $devices; do
    declare -A seconds=()
    for repeat in $(seq "$repeats"); do for n in 1 2; do
        start=$(now)
        run "$n" explain --model "$work/model.safetensors" --index 0 --count "$images" --global --method "$method" --samples "$samples" \
            --segments grid:4 --format json --device "$device" > "$work/global-$n.json" 2> "$work/global-$n.err"
        seconds[explain$n]=$(calc "min(${seconds[explain$n]:-1e9}, $(now) - $start)")
    done; done
    same=$(cmp -s "$work/global-1.json" "$work/global-2.json" && echo "yes (identical JSON)" || echo "NO")
    printf "| explain --global, %s images, %s %s samples | %s | %.1f | %.1f | %.2fx | %s |\n" "$images" "$method" "$samples" "$device" \
        "${seconds[explain1]}" "${seconds[explain2]}" "$(calc "${seconds[explain1]} / ${seconds[explain2]}")" "$same"
    for repeat in $(seq "$repeats"); do for n in 1 2; do
        start=$(now)
        run "$n" train --epochs 1 ${TRAIN_LIMIT:+--limit $TRAIN_LIMIT} --batch-size 32 --out "$work/train-$n.safetensors" --device "$device" \
            > "$work/train-$n.out" 2> "$work/train-$n.err"
        seconds[train$n]=$(calc "min(${seconds[train$n]:-1e9}, $(now) - $start)")
    done; done
    difference=$(python3 - "$work/train-1.safetensors" "$work/train-2.safetensors" <<'PY'
import json, struct, sys
from array import array
def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: array("f", body[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()
            if k != "__metadata__" and not k.startswith("optimizer.")}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
worst = max((sum((x - y) ** 2 for x, y in zip(a[k], b[k])) / max(sum(x * x for x in a[k]), 1e-30)) ** 0.5 for k in a)
print(f"weights within {worst:.1e} (relative)")
PY
)
    accuracy1=$(grep -o "test accuracy: [0-9.]*" "$work/train-1.out" | cut -d' ' -f3)
    accuracy2=$(grep -o "test accuracy: [0-9.]*" "$work/train-2.out" | cut -d' ' -f3)
    allreduce=$(grep -o "([0-9.]* ms per step)" "$work/train-2.out" | tr -d '()')
    printf "| train, 1 epoch of %s images, batch 32 | %s | %.1f | %.1f | %.2fx | %s; test accuracy %s and %s; gradient sum %s |\n" \
        "${TRAIN_LIMIT:-60000}" "$device" "${seconds[train1]}" "${seconds[train2]}" "$(calc "${seconds[train1]} / ${seconds[train2]}")" \
        "$difference" "$accuracy1" "$accuracy2" "$allreduce"
done
