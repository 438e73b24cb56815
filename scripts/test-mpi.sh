#!/usr/bin/env bash
# The MPI pass of `make test` (after scripts/test.sh's passes without MPI): installs Open MPI
# (Debian: libopenmpi-dev, openmpi-bin), builds with the MPI trait in its own folder (.build-mpi,
# a plain debug build: Open MPI's own allocations would swamp LeakSanitizer), and runs
#  - MPICommandTests: `mpirun --oversubscribe -np 2` and `-np 3` of sharded `explain --global`
#    and `--count` (equal to one process), data-parallel `train` (weights of N = 1, 2, 3 agree to
#    1e-4), kill -9 of a rank (the job stops within 60 s; `--resume` on another N continues);
#  - ShardedExplainTests: `--shard K/N` parts and `glassbox merge` (no MPI involved).
# As root too: Open MPI refuses root unless OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) are set.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_PACKAGES="libopenmpi-dev openmpi-bin" scripts/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
started=$(date +%s)
swift build --traits MPI --scratch-path .build-mpi --build-tests
echo "== MPI pass: built in $(( $(date +%s) - started )) s" >&2
started=$(date +%s)
GLASSBOX_REQUIRE_OPENCL=1 swift test --traits MPI --scratch-path .build-mpi --skip-build --filter 'MPICommandTests|ShardedExplainTests'
echo "== MPI pass: tests in $(( $(date +%s) - started )) s" >&2
