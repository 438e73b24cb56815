#!/usr/bin/env bash
# The test suite under AddressSanitizer (with LeakSanitizer) or ThreadSanitizer, in the two passes
# of scripts/test.sh: on PoCL with OpenCL required, and with no OpenCL platform visible (the CPU
# path and the fallback).
#
#   scripts/sanitize.sh address|thread [swift test arguments]    e.g. ... address --filter CLITests
#
# Builds into .build-asan or .build-tsan, never .build/. Any report fails the run, including one
# from a `glassbox` binary that the CLI tests spawn (it is built with the same sanitizer): reports
# go to files (log_path), printed at the end, because a child's stderr is seen only by the test
# that ran it, and a test that expects a failing exit status would pass anyway.
# Suppressions are in .ci/sanitizers/, each with the frame it matches and why it is not Glassbox's.
# Environment: SANITIZE_PASSES (default "pocl cpu"), SANITIZE_LOGS (keep the reports there),
# SANITIZE_TIMEOUT (seconds per pass, default 3600). Exports GLASSBOX_SANITIZER=address|thread.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/sanitize.sh address|thread [swift test arguments]"
sanitizer=${1:-}
case "$sanitizer" in
    address) scratch=.build-asan ;;
    thread) scratch=.build-tsan ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
shift
passes=${SANITIZE_PASSES:-pocl cpu}

EXTRA_PACKAGES=chromium PYTHON_MODULES="numpy onnxruntime" scripts/setup.sh
started=$(date +%s)
# ld.gold warns "Cannot export local symbol '__asan_check_...'" hundreds of times; harmless.
set +e
swift build --build-tests --scratch-path "$scratch" --sanitize="$sanitizer" 2>&1 | grep -v "Cannot export local symbol '__asan"
build_status=${PIPESTATUS[0]}
set -e
[ "$build_status" -eq 0 ] || { echo "sanitize: build failed" >&2; exit 1; }
echo "== built in $(( $(date +%s) - started )) s" >&2

# Set only now: SwiftPM runs the instrumented kernel-embedding tool during the build.
logs=${SANITIZE_LOGS:-$(mktemp -d)}
mkdir -p "$logs"
empty=$(mktemp -d)
trap 'rm -rf "$empty"; [ -n "${SANITIZE_LOGS:-}" ] || rm -rf "$logs"' EXIT
supp="$PWD/.ci/sanitizers"
# handle_sigill: a Swift trap (fatalError, overflow, index out of range) becomes a report with a
# symbolised stack. The Swift backtracer is off because under ASan its memory server thread's
# memcpy is itself reported, and the half-dead backtracer then holds the test's output open
# forever: one trap hung the whole run.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:handle_sigill=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="log_path=$logs/tsan:handle_sigill=1:second_deadlock_stack=1"
if [ -f "$supp/tsan.supp" ]; then TSAN_OPTIONS+=":suppressions=$supp/tsan.supp"; fi
# Tests that limit a child's resources (ulimit -v, -f) read this: the sanitizers' runtimes need
# terabytes of address space and, for TSan, a 512 KiB file in $TMPDIR at start-up.
export GLASSBOX_SANITIZER="$sanitizer"
timeout_seconds=${SANITIZE_TIMEOUT:-3600}

status=0
for pass in $passes; do
    pass_started=$(date +%s)
    case "$pass" in
        pocl)
            echo "== $sanitizer, pass 1: OpenCL (PoCL) required" >&2
            GLASSBOX_REQUIRE_OPENCL=1 GLASSBOX_REQUIRE_CHROMIUM=1 GLASSBOX_REQUIRE_ONNXRUNTIME=1 timeout -k 30 "$timeout_seconds" \
                swift test --skip-build --scratch-path "$scratch" --sanitize="$sanitizer" --skip ShardedExplainTests "$@" || status=1 ;;
        cpu)
            echo "== $sanitizer, pass 2: no OpenCL platform visible" >&2
            # The CLI and crash tests that run every command with --device cpu ran, the same, in
            # pass 1; this pass keeps the ones that look at the missing platform (devices,
            # fallback, the hostile catalogue's auto rows). ShardedExplainTests run in the MPI pass
            # (scripts/test-mpi.sh), beside the mpirun runs they are compared with.
            OCL_ICD_VENDORS="$empty" GLASSBOX_EXPECT_NO_OPENCL=1 timeout -k 30 "$timeout_seconds" \
                swift test --skip-build --scratch-path "$scratch" --sanitize="$sanitizer" \
                --skip ModelCommandsTests --skip ExplainCommandTests --skip CrashSafeTrainingTests \
                --skip HostileInputBehaviourTests --skip ArchitectureCommandsTests --skip ImportCommandTests --skip ShardedExplainTests "$@" || status=1 ;;
        *) echo "sanitize: unknown pass '$pass' in SANITIZE_PASSES (pocl, cpu)" >&2; exit 2 ;;
    esac
    echo "== $sanitizer, $pass pass: $(( $(date +%s) - pass_started )) s" >&2
done

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
    for report in $reports; do
        echo "== $sanitizer report from process ${report##*.} ($report)" >&2
        cat "$report" >&2
    done
    echo "sanitize: $(echo "$reports" | wc -l) process(es) reported; see above" >&2
    status=1
fi
echo "== $sanitizer: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - started )) s" >&2
exit $status
