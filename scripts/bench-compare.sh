#!/usr/bin/env bash
# Two glassbox binaries side by side on the reference CNN, interleaved (A, B, A, B, ...) so that
# drift on a shared machine falls on both: inference throughput (`bench predict`) and seconds per
# training epoch (`bench training`), on the default data (Fashion-MNIST) and device.
#
#   scripts/bench-compare.sh OLD_GLASSBOX NEW_GLASSBOX [ROUNDS]
#
# Prints one JSON line per run and, at the end, the best of each binary and the ratio new/old.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
data=${DATA:-/usr/share/datasets/fashion-mnist}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
    for which in old new; do
        binary=$old; [ "$which" = new ] && binary=$new
        echo "{\"binary\": \"$which\", \"kind\": \"predict\", \"result\": $("$binary" bench predict --data "$data" --images 4096 --batch-size 4096 --repeats 5)}" | tee -a "$results"
        echo "{\"binary\": \"$which\", \"kind\": \"training\", \"result\": $("$binary" bench training --data "$data" --epochs 1 --limit 10000)}" | tee -a "$results"
    done
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def best(which, kind):
    values = [r["result"]["images_per_second"] if kind == "predict" else r["result"]["epoch_seconds"][0]
              for r in rows if r["binary"] == which and r["kind"] == kind]
    return max(values) if kind == "predict" else min(values)
for kind, unit in [("predict", "images/s"), ("training", "s per epoch of 10,000 images")]:
    old, new = best("old", kind), best("new", kind)
    speed = new / old if kind == "predict" else old / new
    print(f"{kind}: old {old:.4g} {unit}, new {new:.4g} {unit}; new speed / old speed = {speed:.3f}")
PY
