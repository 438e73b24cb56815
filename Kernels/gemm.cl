// General matrix multiply: C = alpha * A B (+ C when beta = 1) (+ bias per column).
//
// Operands are described by strides, so one kernel serves every transpose:
//   A(m, k) = A[m * aRowStride + k * aColStride]      (M x K)
//   B(k, n) = B[k * bRowStride + n * bColStride]      (K x N)
//   C(m, n) = C[m * ldc + n]                          (M x N, row-major)
//
// Two variants with one signature:
// - gemm_blocked (CPU devices, PoCL): one work-item computes GEMM_ROWS rows x 16 columns of C in
//   float16 registers, loading rows of B with vload16. No local memory, no barriers. The host
//   guarantees bColStride == 1 (it transposes B first when needed).
// - gemm_tiled (GPUs): GEMM_TILE x GEMM_TILE work-groups stage tiles of A and B in local memory.

#ifndef GEMM_ROWS
#define GEMM_ROWS 4
#endif
#ifndef GEMM_TILE
#define GEMM_TILE 16
#endif

#define A_AT(m, k) A[(m) * aRowStride + (k) * aColStride]
#define B_AT(k, n) B[(k) * bRowStride + (n) * bColStride]

inline float gemm_epilogue(float acc, float alpha, float beta, __global const float* C, int cIndex,
                           __global const float* bias, int hasBias, int n) {
    float value = alpha * acc;
    if (beta != 0.0f) value += beta * C[cIndex];   // never read C otherwise: it may hold garbage
    if (hasBias) value += bias[n];
    return value;
}

// Global size: (ceil(N / 16), ceil(M / GEMM_ROWS)), rounded up to the local size.
__kernel void gemm_blocked(const int M, const int N, const int K,
                           __global const float* A, const int aRowStride, const int aColStride,
                           __global const float* B, const int bRowStride, const int bColStride,
                           __global float* C, const int ldc,
                           __global const float* bias, const int hasBias,
                           const float alpha, const float beta) {
    const int n0 = get_global_id(0) * 16;
    const int m0 = get_global_id(1) * GEMM_ROWS;
    if (n0 >= N || m0 >= M) return;

    int rows[GEMM_ROWS];
    for (int r = 0; r < GEMM_ROWS; ++r) rows[r] = min(m0 + r, M - 1);   // clamp: read, never write

    if (n0 + 16 <= N) {
        float16 acc[GEMM_ROWS];
        for (int r = 0; r < GEMM_ROWS; ++r) acc[r] = (float16)(0.0f);
        for (int k = 0; k < K; ++k) {
            const float16 b = vload16(0, B + k * bRowStride + n0);
            for (int r = 0; r < GEMM_ROWS; ++r) acc[r] = fma((float16)(A_AT(rows[r], k)), b, acc[r]);
        }
        for (int r = 0; r < GEMM_ROWS; ++r) {
            if (m0 + r >= M) break;
            float values[16];
            vstore16(acc[r], 0, values);
            for (int j = 0; j < 16; ++j) {
                const int cIndex = (m0 + r) * ldc + n0 + j;
                C[cIndex] = gemm_epilogue(values[j], alpha, beta, C, cIndex, bias, hasBias, n0 + j);
            }
        }
    } else {
        const int width = N - n0;
        float acc[GEMM_ROWS][16];
        for (int r = 0; r < GEMM_ROWS; ++r)
            for (int j = 0; j < 16; ++j) acc[r][j] = 0.0f;
        for (int k = 0; k < K; ++k) {
            for (int j = 0; j < width; ++j) {
                const float b = B_AT(k, n0 + j);
                for (int r = 0; r < GEMM_ROWS; ++r) acc[r][j] = fma(A_AT(rows[r], k), b, acc[r][j]);
            }
        }
        for (int r = 0; r < GEMM_ROWS; ++r) {
            if (m0 + r >= M) break;
            for (int j = 0; j < width; ++j) {
                const int cIndex = (m0 + r) * ldc + n0 + j;
                C[cIndex] = gemm_epilogue(acc[r][j], alpha, beta, C, cIndex, bias, hasBias, n0 + j);
            }
        }
    }
}

// Global size: (N, M) rounded up to GEMM_TILE; local size (GEMM_TILE, GEMM_TILE).
__kernel void gemm_tiled(const int M, const int N, const int K,
                         __global const float* A, const int aRowStride, const int aColStride,
                         __global const float* B, const int bRowStride, const int bColStride,
                         __global float* C, const int ldc,
                         __global const float* bias, const int hasBias,
                         const float alpha, const float beta) {
    __local float tileA[GEMM_TILE][GEMM_TILE + 1];
    __local float tileB[GEMM_TILE][GEMM_TILE + 1];
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    const int ln = get_local_id(0);
    const int lm = get_local_id(1);
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += GEMM_TILE) {
        const int ka = k0 + ln;
        const int kb = k0 + lm;
        tileA[lm][ln] = (m < M && ka < K) ? A_AT(m, ka) : 0.0f;
        tileB[lm][ln] = (kb < K && n < N) ? B_AT(kb, n) : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < GEMM_TILE; ++k) acc = fma(tileA[lm][k], tileB[k][ln], acc);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (m < M && n < N) {
        const int cIndex = m * ldc + n;
        C[cIndex] = gemm_epilogue(acc, alpha, beta, C, cIndex, bias, hasBias, n);
    }
}

// out[c, r] = in[r, c] for an R x C row-major matrix. Global size: (C, R).
__kernel void transpose(const int R, const int C, __global const float* input, __global float* output) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c < C && r < R) output[c * R + r] = input[r * C + c];
}
