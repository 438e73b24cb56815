#!/usr/bin/env bash
# The whole test suite, twice:
#  1. on PoCL, with GLASSBOX_REQUIRE_OPENCL=1 so that a missing OpenCL platform fails instead of
#     skipping every kernel test;
#  2. with no OpenCL platform visible (OCL_ICD_VENDORS points to an empty folder), which checks
#     that `auto` falls back to the CPU reference and that `opencl` fails clearly.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_PACKAGES=chromium scripts/setup.sh
swift build --build-tests

echo "== pass 1: OpenCL (PoCL) required" >&2
GLASSBOX_REQUIRE_OPENCL=1 GLASSBOX_REQUIRE_CHROMIUM=1 swift test --skip-build

echo "== pass 2: no OpenCL platform visible" >&2
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
# The CLI and crash tests run with --device cpu in both passes, so this pass skips them.
OCL_ICD_VENDORS="$empty" GLASSBOX_EXPECT_NO_OPENCL=1 swift test --skip-build \
    --skip ModelCommandsTests --skip ExplainCommandTests --skip CrashSafeTrainingTests
