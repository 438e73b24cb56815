#!/usr/bin/env python3
"""The peer for `glassbox bench kernels`: numpy's float32 BLAS (sgemm) at the same GEMM cases,
the best of at least N runs spread over at least a quarter of a second (as `glassbox bench kernels`
times its own), printed as a JSON object {case name: GFLOP/s} for `--peer`."""
import json
import sys
import time

import numpy as np

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10
rng = np.random.default_rng(0)
K, N = 5408, 128


MINIMUM_SECONDS = 0.25  # KernelBenchmark.minimumSeconds


def best_seconds(function):
    function()
    best, spent, runs = float("inf"), 0.0, 0
    while runs < repeats or (repeats > 1 and spent < MINIMUM_SECONDS):
        start = time.perf_counter()
        function()
        seconds = time.perf_counter() - start
        best, spent, runs = min(best, seconds), spent + seconds, runs + 1
    return best


def matrix(*shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


results = {}
tiny_a, tiny_b = matrix(32, 16), matrix(16, 16)
results["gemm 32x16x16 (launch and wait)"] = 2 * 32 * 16 * 16 / best_seconds(lambda: tiny_a @ tiny_b) / 1e9
weights, bias = matrix(K, N), matrix(N)
for M in (32, 4096):
    x, y = matrix(M, K), np.empty((M, N), np.float32)
    seconds = best_seconds(lambda: np.add(np.matmul(x, weights, out=y), bias, out=y))
    results[f"gemm {M}x{K}x{N}"] = 2 * M * N * K / seconds / 1e9
x32, dy32 = matrix(32, K), matrix(32, N)
results[f"gemm dW (x^T dy) {K}x32x{N}"] = 2 * 32 * N * K / best_seconds(lambda: x32.T @ dy32) / 1e9
results[f"gemm dX (dy W^T) 32x{N}x{K}"] = 2 * 32 * N * K / best_seconds(lambda: dy32 @ weights.T) / 1e9
print(json.dumps(results, indent=1))
print(f"numpy {np.__version__}", file=sys.stderr)
