#!/usr/bin/env bash
# Glassbox's tabular path beside Keras (training accuracy and time) and shap / lime (kernel, exact
# and LIME explainers on the same imported .keras model) on the breast-cancer table, in one run.
# Prints a Markdown report (CPU, commit, versions, times and ratios, agreement).
#
#   scripts/bench-tabular.sh [--device cpu|opencl] [--quick] [--out FILE.md] [--rows 10,200,400]
#
# Uses the release binary as built (.build/release/glassbox; GLASSBOX=... overrides it); needs
# python3 with tensorflow/keras 3, numpy, scipy, scikit-learn, shap and lime.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/tabular_peers.py "$@"
