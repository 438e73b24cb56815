// General matrix multiply: C = alpha * A B (+ C when beta = 1) (+ bias per column) (then relu).
// `epilogue` holds flags: EPILOGUE_BIAS adds bias[n]; EPILOGUE_RELU applies max(0, x) last (NaN
// passes through, as in relu_forward), so a Dense layer's forward pass is one launch.
// Its backward pass fuses into the weight-gradient product dW = X^T dZ through the bits of
// GEMM_FUSED (gemm_blocked and gemm_tiled), fixed per program so plain products carry no extra code:
//   MASK_B: B(k, n) counts as 0 unless reluMask at the same index is > 0 (relu_backward from the
//     layer's output, applied as B is loaded; the mask has B's layout), and the work-items of the
//     first row block, which load every row of B, write the masked B to maskedB (dZ, for dX);
//   SUM_B: those work-items also write columnSums[n] = sum over k of the (masked) B(k, n): the bias
//     gradient.
// So relu backward, dW and db are one launch, and dX = dZ W^T a plain product after it.
//
// Operands are described by strides, so one kernel serves every transpose:
//   A(m, k) = A[m * aRowStride + k * aColStride]      (M x K)
//   B(k, n) = B[k * bRowStride + n * bColStride]      (K x N)
//   C(m, n) = C[m * ldc + n]                          (M x N, row-major)
//
// Two variants with one signature:
// - gemm_blocked (CPU devices, PoCL): one work-item computes GEMM_ROWS rows x GEMM_COLUMNS columns
//   of C in float16 registers, loading rows of B with vload16. No local memory, no barriers. The host
//   guarantees bColStride == 1 (it transposes B first when needed).
// - gemm_tiled (GPUs): GEMM_TILE x GEMM_TILE work-groups stage tiles of A and B in local memory.

#ifndef GEMM_ROWS
#define GEMM_ROWS 8     // rows of C per work-item in gemm_blocked
#endif
#ifndef GEMM_VECTORS
#define GEMM_VECTORS 2  // float16 column vectors per work-item in gemm_blocked (16 GEMM_VECTORS columns)
#endif
#ifndef GEMM_TILE
#define GEMM_TILE 16
#endif
#ifndef NT_ROWS
#define NT_ROWS 4       // rows of C per work-item in gemm_blocked_nt
#endif
#ifndef NT_COLUMNS
#define NT_COLUMNS 4    // columns of C per work-item in gemm_blocked_nt
#endif

#ifndef GEMM_FUSED
#define GEMM_FUSED 0
#endif

#define GEMM_COLUMNS (16 * GEMM_VECTORS)
#define EPILOGUE_BIAS 1
#define EPILOGUE_RELU 2
#define MASK_B 1
#define SUM_B 2
#define A_AT(m, k) A[(m) * aRowStride + (k) * aColStride]
#define B_INDEX(k, n) ((k) * bRowStride + (n) * bColStride)
#define B_AT(k, n) masked(B, reluMask, B_INDEX(k, n), maskB)

// x[i], or 0 where the relu mask says the unit was off (mask <= 0 or NaN, as relu_backward).
inline float masked(__global const float* x, __global const float* mask, int i, bool on) {
    return (on && !(mask[i] > 0.0f)) ? 0.0f : x[i];
}
inline float16 masked16(__global const float* x, __global const float* mask, bool on) {
    const float16 value = vload16(0, x);
    return on ? select((float16)(0.0f), value, vload16(0, mask) > (float16)(0.0f)) : value;
}

inline float gemm_epilogue(float acc, float alpha, float beta, __global const float* C, int cIndex,
                           __global const float* bias, int epilogue, int n) {
    float value = alpha * acc;
    if (beta != 0.0f) value += beta * C[cIndex];   // never read C otherwise: it may hold garbage
    if (epilogue & EPILOGUE_BIAS) value += bias[n];
    if (epilogue & EPILOGUE_RELU) value = isnan(value) ? value : fmax(value, 0.0f);   // NaN passes, as relu_forward
    return value;
}

inline float16 gemm_epilogue16(float16 acc, float alpha, float beta, __global float* c,
                               __global const float* bias, int epilogue) {
    float16 value = alpha * acc;
    if (beta != 0.0f) value += beta * vload16(0, c);
    if (epilogue & EPILOGUE_BIAS) value += vload16(0, bias);
    if (epilogue & EPILOGUE_RELU) value = select(fmax(value, (float16)(0.0f)), value, isnan(value));
    return value;
}

// Writes the rows m0 + r < rowLimit of the GEMM_ROWS x GEMM_COLUMNS register tile acc at (m0, n0)
// through the epilogue. A macro, not a function: passing acc to a function kept it out of
// registers (4096x5408x128 at 31.6-32.2 ms rather than 27.6-30.1, AMD EPYC, PoCL 3.1).
#define STORE_TILE(rowLimit) \
    _Pragma("unroll") for (int r = 0; r < GEMM_ROWS; ++r) { \
        if (m0 + r < (rowLimit)) { \
            _Pragma("unroll") for (int v = 0; v < GEMM_VECTORS; ++v) { \
                __global float* c = C + (m0 + r) * ldc + n0 + 16 * v; \
                vstore16(gemm_epilogue16(acc[r][v], alpha, beta, c, bias + n0 + 16 * v, epilogue), 0, c); \
            } \
        } \
    }

// Global size: (ceil(N / GEMM_COLUMNS), ceil(M / GEMM_ROWS)), rounded up to the local size.
// Blocks that are full in N take the vector path; rows past M (in the last row block) read row
// M - 1 and are not written. The ragged right edge takes a scalar path.
__kernel void gemm_blocked(const int M, const int N, const int K,
                           __global const float* A, const int aRowStride, const int aColStride,
                           __global const float* B, const int bRowStride, const int bColStride,
                           __global float* C, const int ldc,
                           __global const float* bias, const int epilogue,
                           __global const float* reluMask, __global float* maskedB, __global float* columnSums,
                           const float alpha, const float beta) {
    const int n0 = get_global_id(0) * GEMM_COLUMNS;
    const int m0 = get_global_id(1) * GEMM_ROWS;
    if (n0 >= N || m0 >= M) return;
    const bool maskB = (GEMM_FUSED & MASK_B) != 0;
    const bool firstRows = m0 == 0, sums = (GEMM_FUSED & SUM_B) != 0 && firstRows, writeB = maskB && firstRows;

    int rowOffset[GEMM_ROWS];
    #pragma unroll
    for (int r = 0; r < GEMM_ROWS; ++r) rowOffset[r] = min(m0 + r, M - 1) * aRowStride;

    if (n0 + GEMM_COLUMNS <= N) {
        float16 acc[GEMM_ROWS][GEMM_VECTORS];
        float16 sum[GEMM_VECTORS];
        #pragma unroll
        for (int v = 0; v < GEMM_VECTORS; ++v) sum[v] = (float16)(0.0f);
        #pragma unroll
        for (int r = 0; r < GEMM_ROWS; ++r)
            #pragma unroll
            for (int v = 0; v < GEMM_VECTORS; ++v) acc[r][v] = (float16)(0.0f);
        for (int k = 0; k < K; ++k) {
            float16 b[GEMM_VECTORS];
            #pragma unroll
            for (int v = 0; v < GEMM_VECTORS; ++v) {
                const int offset = k * bRowStride + n0 + 16 * v;
                b[v] = masked16(B + offset, reluMask + offset, maskB);
                if (sums) sum[v] += b[v];
                if (writeB) vstore16(b[v], 0, maskedB + offset);
            }
            const int kOffset = k * aColStride;
            #pragma unroll
            for (int r = 0; r < GEMM_ROWS; ++r) {
                const float16 a = (float16)(A[rowOffset[r] + kOffset]);
                #pragma unroll
                for (int v = 0; v < GEMM_VECTORS; ++v) acc[r][v] = fma(a, b[v], acc[r][v]);
            }
        }
        if (sums) {
            #pragma unroll
            for (int v = 0; v < GEMM_VECTORS; ++v) vstore16(sum[v], 0, columnSums + n0 + 16 * v);
        }
        STORE_TILE(M)
    } else {
        if (sums || writeB) {
            for (int n = n0; n < N; ++n) {
                float total = 0.0f;
                for (int k = 0; k < K; ++k) {
                    const float b = B_AT(k, n);
                    total += b;
                    if (writeB) maskedB[B_INDEX(k, n)] = b;
                }
                if (sums) columnSums[n] = total;
            }
        }
        for (int r = 0; r < GEMM_ROWS && m0 + r < M; ++r) {
            for (int n = n0; n < N; ++n) {
                float acc = 0.0f;
                for (int k = 0; k < K; ++k) acc = fma(A_AT(m0 + r, k), B_AT(k, n), acc);
                const int cIndex = (m0 + r) * ldc + n;
                C[cIndex] = gemm_epilogue(acc, alpha, beta, C, cIndex, bias, epilogue, n);
            }
        }
    }
}

inline float horizontal_sum(float16 v) {
    const float8 a = v.lo + v.hi; const float4 b = a.lo + a.hi; const float2 c = b.lo + b.hi; return c.x + c.y;
}
// C = A B^T for the CPU variant, without transposing B: A is [M, K] and B is stored [N, K], both
// with contiguous rows, so every C element is a dot product of two contiguous rows. One work-item
// computes NT_ROWS x NT_COLUMNS elements with float16 accumulators, summed across lanes at the end.
// Global size: (ceil(N / NT_COLUMNS), ceil(M / NT_ROWS)).
__kernel void gemm_blocked_nt(const int M, const int N, const int K,
                              __global const float* A, const int lda, __global const float* B, const int ldb,
                              __global float* C, const int ldc, __global const float* bias, const int epilogue,
                              __global const float* reluMask, __global float* maskedB, __global float* columnSums,
                              const float alpha, const float beta) {
    // GEMM_FUSED is not supported here; the three buffers after `epilogue` are unused.
    const int n0 = get_global_id(0) * NT_COLUMNS;
    const int m0 = get_global_id(1) * NT_ROWS;
    if (n0 >= N || m0 >= M) return;
    __global const float* a[NT_ROWS];
    __global const float* b[NT_COLUMNS];
    #pragma unroll
    for (int r = 0; r < NT_ROWS; ++r) a[r] = A + min(m0 + r, M - 1) * lda;
    #pragma unroll
    for (int j = 0; j < NT_COLUMNS; ++j) b[j] = B + min(n0 + j, N - 1) * ldb;
    float16 acc[NT_ROWS][NT_COLUMNS];
    #pragma unroll
    for (int r = 0; r < NT_ROWS; ++r)
        #pragma unroll
        for (int j = 0; j < NT_COLUMNS; ++j) acc[r][j] = (float16)(0.0f);
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        float16 bv[NT_COLUMNS];
        #pragma unroll
        for (int j = 0; j < NT_COLUMNS; ++j) bv[j] = vload16(0, b[j] + k);
        #pragma unroll
        for (int r = 0; r < NT_ROWS; ++r) {
            const float16 av = vload16(0, a[r] + k);
            #pragma unroll
            for (int j = 0; j < NT_COLUMNS; ++j) acc[r][j] = fma(av, bv[j], acc[r][j]);
        }
    }
    #pragma unroll
    for (int r = 0; r < NT_ROWS; ++r) {
        #pragma unroll
        for (int j = 0; j < NT_COLUMNS; ++j) {
            float total = horizontal_sum(acc[r][j]);
            for (int kk = k; kk < K; ++kk) total = fma(a[r][kk], b[j][kk], total);
            if (m0 + r < M && n0 + j < N) {
                const int cIndex = (m0 + r) * ldc + n0 + j;
                C[cIndex] = gemm_epilogue(total, alpha, beta, C, cIndex, bias, epilogue, n0 + j);
            }
        }
    }
}

// Global size: (N, M) rounded up to GEMM_TILE; local size (GEMM_TILE, GEMM_TILE).
__kernel void gemm_tiled(const int M, const int N, const int K,
                         __global const float* A, const int aRowStride, const int aColStride,
                         __global const float* B, const int bRowStride, const int bColStride,
                         __global float* C, const int ldc,
                         __global const float* bias, const int epilogue,
                         __global const float* reluMask, __global float* maskedB, __global float* columnSums,
                         const float alpha, const float beta) {
    const bool maskB = (GEMM_FUSED & MASK_B) != 0;
    const bool firstRows = get_group_id(1) == 0, sums = (GEMM_FUSED & SUM_B) != 0 && get_global_id(1) == 0;
    float sum = 0.0f;
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
        if (maskB && firstRows && kb < K && n < N) maskedB[B_INDEX(kb, n)] = tileB[lm][ln];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < GEMM_TILE; ++k) acc = fma(tileA[lm][k], tileB[k][ln], acc);
        if (sums) for (int k = 0; k < GEMM_TILE; ++k) sum += tileB[k][ln];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (sums && n < N) columnSums[n] = sum;
    if (m < M && n < N) {
        const int cIndex = m * ldc + n;
        C[cIndex] = gemm_epilogue(acc, alpha, beta, C, cIndex, bias, epilogue, n);
    }
}

// A 16 x 16 block transposed in registers (rows[i][j] becomes rows[j][i]). Transposing swaps the
// bits of the row index with those of the column index; each of four rounds swaps one bit B
// (1, 2, 4, 8) between rows i and i + B with two two-input shuffles, 64 shuffles in all where
// gathering columns takes 256 element moves. Compilers without __builtin_shufflevector gather.
#if defined(__clang__) && defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define HAVE_SHUFFLEVECTOR 1
#endif
#endif
#ifdef HAVE_SHUFFLEVECTOR
#define SWAP_LOW_1 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define SWAP_HIGH_1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define SWAP_LOW_2 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define SWAP_HIGH_2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define SWAP_LOW_4 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define SWAP_HIGH_4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define SWAP_LOW_8 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define SWAP_HIGH_8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define SWAP_ROUND(rows, B) \
    _Pragma("unroll") for (int i = 0; i < 16; ++i) { \
        if ((i & B) == 0) { \
            const float16 low = __builtin_shufflevector(rows[i], rows[i + B], SWAP_LOW_##B); \
            const float16 high = __builtin_shufflevector(rows[i], rows[i + B], SWAP_HIGH_##B); \
            rows[i] = low; \
            rows[i + B] = high; \
        } \
    }
inline void transpose16(float16 rows[16]) {
    SWAP_ROUND(rows, 1) SWAP_ROUND(rows, 2) SWAP_ROUND(rows, 4) SWAP_ROUND(rows, 8)
}
#else
inline void transpose16(float16 rows[16]) {
    float tile[16][16];
    for (int r = 0; r < 16; ++r) vstore16(rows[r], 0, tile[r]);
    for (int c = 0; c < 16; ++c)
        rows[c] = (float16)(tile[0][c], tile[1][c], tile[2][c], tile[3][c], tile[4][c], tile[5][c], tile[6][c], tile[7][c],
                            tile[8][c], tile[9][c], tile[10][c], tile[11][c], tile[12][c], tile[13][c], tile[14][c], tile[15][c]);
}
#endif

// out[c, r] = in[r, c] for an R x C row-major matrix, one 16 x 16 tile per work-item: sixteen
// row loads, a transpose in registers, sixteen row stores. Tiles cut by the matrix's edge copy
// element by element. Global size: (ceil(C / 16), ceil(R / 16)).
__kernel void transpose(const int R, const int C, __global const float* input, __global float* output) {
    const int c0 = get_global_id(0) * 16;
    const int r0 = get_global_id(1) * 16;
    if (c0 >= C || r0 >= R) return;
    if (c0 + 16 <= C && r0 + 16 <= R) {
        float16 rows[16];
        #pragma unroll
        for (int r = 0; r < 16; ++r) rows[r] = vload16(0, input + (long)(r0 + r) * C + c0);
        transpose16(rows);
        #pragma unroll
        for (int c = 0; c < 16; ++c) vstore16(rows[c], 0, output + (long)(c0 + c) * R + r0);
    } else {
        for (int r = r0; r < min(r0 + 16, R); ++r)
            for (int c = c0; c < min(c0 + 16, C); ++c) output[(long)c * R + r] = input[(long)r * C + c];
    }
}

#ifndef PANEL_FLOATS
#define PANEL_FLOATS 8192   // floats of gemm_panel_nt's private panel of B (32 KiB, an L1 cache)
#endif
// C = A B^T for the CPU variant at a short inner dimension (a training batch's input gradient
// dY W^T), with no transposed copy of B in global memory: A is [M, K] and B is stored [N, K], both
// with contiguous rows. A work-item transposes its GEMM_COLUMNS rows of B into a private
// [K, GEMM_COLUMNS] panel (16 x 16 blocks through registers), then runs gemm_blocked's register
// tile over rowsPerItem rows of A, GEMM_ROWS at a time, each block reading the panel from L1.
// The host guarantees N % GEMM_COLUMNS == 0, K * GEMM_COLUMNS <= PANEL_FLOATS and GEMM_FUSED == 0.
// Global size: (N / GEMM_COLUMNS, ceil(M / rowsPerItem)).
__kernel void gemm_panel_nt(const int M, const int N, const int K,
                            __global const float* A, const int lda, __global const float* B, const int ldb,
                            __global float* C, const int ldc, __global const float* bias, const int epilogue,
                            __global const float* reluMask, __global float* maskedB, __global float* columnSums,
                            const float alpha, const float beta, const int rowsPerItem) {
    // The three buffers after `epilogue` are unused (gemm_blocked_nt's signature).
    const int n0 = get_global_id(0) * GEMM_COLUMNS;
    const int mStart = get_global_id(1) * rowsPerItem;
    if (n0 >= N || mStart >= M) return;
    const int mEnd = min(mStart + rowsPerItem, M);
    float panel[PANEL_FLOATS];
    const int kBlocks = K & ~15;
    for (int j0 = 0; j0 < GEMM_COLUMNS; j0 += 16) {
        for (int k0 = 0; k0 < kBlocks; k0 += 16) {
            float16 rows[16];
            #pragma unroll
            for (int i = 0; i < 16; ++i) rows[i] = vload16(0, B + (n0 + j0 + i) * ldb + k0);
            transpose16(rows);
            #pragma unroll
            for (int i = 0; i < 16; ++i) vstore16(rows[i], 0, panel + (k0 + i) * GEMM_COLUMNS + j0);
        }
        for (int k = kBlocks; k < K; ++k)
            for (int i = 0; i < 16; ++i) panel[k * GEMM_COLUMNS + j0 + i] = B[(n0 + j0 + i) * ldb + k];
    }
    for (int m0 = mStart; m0 < mEnd; m0 += GEMM_ROWS) {
        int rowOffset[GEMM_ROWS];
        float16 acc[GEMM_ROWS][GEMM_VECTORS];
        #pragma unroll
        for (int r = 0; r < GEMM_ROWS; ++r) {
            rowOffset[r] = min(m0 + r, M - 1) * lda;
            #pragma unroll
            for (int v = 0; v < GEMM_VECTORS; ++v) acc[r][v] = (float16)(0.0f);
        }
        for (int k = 0; k < K; ++k) {
            float16 b[GEMM_VECTORS];
            #pragma unroll
            for (int v = 0; v < GEMM_VECTORS; ++v) b[v] = vload16(0, panel + k * GEMM_COLUMNS + 16 * v);
            #pragma unroll
            for (int r = 0; r < GEMM_ROWS; ++r) {
                const float16 a = (float16)(A[rowOffset[r] + k]);
                #pragma unroll
                for (int v = 0; v < GEMM_VECTORS; ++v) acc[r][v] = fma(a, b[v], acc[r][v]);
            }
        }
        STORE_TILE(mEnd)
    }
}
