#!/usr/bin/env bash
# API documentation: the DocC catalog Sources/Glassbox/Glassbox.docc with the doc comments of the
# Glassbox module, converted with the toolchain's `docc` into .build-docs/Glassbox.doccarchive.
# Fails on any DocC warning (a broken symbol link, an undocumented parameter in a documented list).
set -euo pipefail
cd "$(dirname "$0")/.."
# The symbol graph covers every trait, MPI's code (MPICommunicator) included, so it needs mpi.h.
EXTRA_PACKAGES="libopenmpi-dev" scripts/setup.sh
scratch=.build-docs
mkdir -p "$scratch"
# SwiftPM also tries the test runner modules, which only `swift build --build-tests` makes, and
# then exits non-zero; only the Glassbox graph is needed, and it must be fresh.
rm -rf "$scratch/build"/*/symbolgraph
swift package --scratch-path "$scratch/build" dump-symbol-graph >"$scratch/dump-symbol-graph.log" 2>&1 || true
graph=$(find "$scratch/build" -path '*/symbolgraph/Glassbox.symbols.json' | head -1)
[ -n "$graph" ] || { cat "$scratch/dump-symbol-graph.log" >&2; echo "docs: no symbol graph for Glassbox" >&2; exit 1; }
graphs="$scratch/graphs"
rm -rf "$graphs" && mkdir -p "$graphs"
cp "$graph" "$graphs/"
docc=$(dirname "$(command -v swift)")/docc
"$docc" convert Sources/Glassbox/Glassbox.docc --additional-symbol-graph-dir "$graphs" \
    --fallback-display-name Glassbox --fallback-bundle-identifier org.glassbox.Glassbox \
    --output-path "$scratch/Glassbox.doccarchive" --warnings-as-errors
echo "wrote $scratch/Glassbox.doccarchive" >&2
