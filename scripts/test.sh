#!/usr/bin/env bash
# The whole test suite, twice, under AddressSanitizer with LeakSanitizer (scripts/sanitize.sh):
#  1. on PoCL, with GLASSBOX_REQUIRE_OPENCL=1 so that a missing OpenCL platform fails instead of
#     skipping every kernel test;
#  2. with no OpenCL platform visible (OCL_ICD_VENDORS points to an empty folder), which checks
#     that `auto` falls back to the CPU reference and that `opencl` fails clearly.
# Any sanitizer report fails the run, from the tests or from a `glassbox` they spawn.
# `make test` then runs scripts/test-mpi.sh: the build with the MPI trait under mpirun.
#
#   TEST_SANITIZER=address (default) | thread | none     none: a plain debug build, faster
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer=${TEST_SANITIZER:-address}
case "$sanitizer" in
    address|thread) exec scripts/sanitize.sh "$sanitizer" ;;
    none) ;;
    *) echo "TEST_SANITIZER must be address, thread or none (got '$sanitizer')" >&2; exit 2 ;;
esac

EXTRA_PACKAGES=chromium PYTHON_MODULES="numpy onnxruntime" scripts/setup.sh
swift build --build-tests

echo "== pass 1: OpenCL (PoCL) required" >&2
GLASSBOX_REQUIRE_OPENCL=1 GLASSBOX_REQUIRE_CHROMIUM=1 GLASSBOX_REQUIRE_ONNXRUNTIME=1 swift test --skip-build --skip ShardedExplainTests

echo "== pass 2: no OpenCL platform visible" >&2
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
# The CLI and crash tests run with --device cpu in both passes, so this pass skips them.
OCL_ICD_VENDORS="$empty" GLASSBOX_EXPECT_NO_OPENCL=1 swift test --skip-build \
    --skip ModelCommandsTests --skip ExplainCommandTests --skip CrashSafeTrainingTests \
    --skip HostileInputBehaviourTests --skip ArchitectureCommandsTests --skip ImportCommandTests --skip ShardedExplainTests
