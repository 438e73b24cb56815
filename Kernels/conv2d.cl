// 2-D convolution (cross-correlation, as Keras), NHWC activations, HWIO kernels.
//   input  [N, H, W, CI]   kernel [KH, KW, CI, CO]   bias [CO]   output [N, OH, OW, CO]
//   output[n, oh, ow, co] = bias[co] + sum_{kh, kw, ci} input[n, oh*SH + kh - PT, ow*SW + kw - PL, ci]
//                                                      * kernel[kh, kw, ci, co]
// Out-of-range input positions are zero padding.

#ifndef CONV_PIXELS
#define CONV_PIXELS 4   // output pixels along a row per work-item (CPU variant)
#endif
#ifndef CONV_REDUCE_CHUNK
#define CONV_REDUCE_CHUNK 256
#endif
#ifndef CONV_GRAD_ROWS
#define CONV_GRAD_ROWS 10   // kernel-gradient rows (taps, and the bias) per work-item
#endif
#ifndef CONV_INPUT_PIXELS
#define CONV_INPUT_PIXELS 4   // input pixels along a row per work-item of conv2d_backward_input_rows
#endif

#define CONV_SHAPE_ARGS const int N, const int H, const int W, const int CI, \
                        const int KH, const int KW, const int CO, const int OH, const int OW, \
                        const int SH, const int SW, const int PT, const int PL

// CPU variant: one work-item computes CONV_PIXELS adjacent output pixels x 16 output channels in
// float16 registers; rows of the HWIO kernel are contiguous in CO and load with vload16.
// Global size: (ceil(CO / 16), ceil(OW / CONV_PIXELS), N * OH).
__kernel void conv2d_forward_blocked(CONV_SHAPE_ARGS,
                                     __global const float* input, __global const float* weights,
                                     __global const float* bias, const int hasBias,
                                     __global float* output) {
    const int co0 = get_global_id(0) * 16;
    const int ow0 = get_global_id(1) * CONV_PIXELS;
    const int nh = get_global_id(2);
    if (co0 >= CO || ow0 >= OW || nh >= N * OH) return;
    const int n = nh / OH;
    const int oh = nh % OH;
    __global const float* image = input + (long)n * H * W * CI;

    if (co0 + 16 <= CO) {
        float16 acc[CONV_PIXELS];
        const float16 start = hasBias ? vload16(0, bias + co0) : (float16)(0.0f);
        for (int p = 0; p < CONV_PIXELS; ++p) acc[p] = start;
        for (int kh = 0; kh < KH; ++kh) {
            const int ih = oh * SH + kh - PT;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KW; ++kw) {
                for (int ci = 0; ci < CI; ++ci) {
                    const float16 w = vload16(0, weights + ((kh * KW + kw) * CI + ci) * CO + co0);
                    for (int p = 0; p < CONV_PIXELS; ++p) {
                        const int iw = (ow0 + p) * SW + kw - PL;
                        const float x = (iw >= 0 && iw < W) ? image[(ih * W + iw) * CI + ci] : 0.0f;
                        acc[p] = fma((float16)(x), w, acc[p]);
                    }
                }
            }
        }
        for (int p = 0; p < CONV_PIXELS; ++p) {
            if (ow0 + p >= OW) break;
            vstore16(acc[p], 0, output + (((long)n * OH + oh) * OW + ow0 + p) * CO + co0);
        }
    } else {
        for (int co = co0; co < CO; ++co) {
            for (int p = 0; p < CONV_PIXELS && ow0 + p < OW; ++p) {
                float acc = hasBias ? bias[co] : 0.0f;
                for (int kh = 0; kh < KH; ++kh) {
                    const int ih = oh * SH + kh - PT;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < KW; ++kw) {
                        const int iw = (ow0 + p) * SW + kw - PL;
                        if (iw < 0 || iw >= W) continue;
                        for (int ci = 0; ci < CI; ++ci)
                            acc = fma(image[(ih * W + iw) * CI + ci], weights[((kh * KW + kw) * CI + ci) * CO + co], acc);
                    }
                }
                output[(((long)n * OH + oh) * OW + ow0 + p) * CO + co] = acc;
            }
        }
    }
}

// GPU variant: one work-item per output element, CO fastest so neighbours read neighbouring
// kernel weights and write neighbouring outputs. Global size: (CO, OW, N * OH).
__kernel void conv2d_forward_direct(CONV_SHAPE_ARGS,
                                    __global const float* input, __global const float* weights,
                                    __global const float* bias, const int hasBias,
                                    __global float* output) {
    const int co = get_global_id(0);
    const int ow = get_global_id(1);
    const int nh = get_global_id(2);
    if (co >= CO || ow >= OW || nh >= N * OH) return;
    const int n = nh / OH;
    const int oh = nh % OH;
    __global const float* image = input + (long)n * H * W * CI;
    float acc = hasBias ? bias[co] : 0.0f;
    for (int kh = 0; kh < KH; ++kh) {
        const int ih = oh * SH + kh - PT;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < KW; ++kw) {
            const int iw = ow * SW + kw - PL;
            if (iw < 0 || iw >= W) continue;
            for (int ci = 0; ci < CI; ++ci)
                acc = fma(image[(ih * W + iw) * CI + ci], weights[((kh * KW + kw) * CI + ci) * CO + co], acc);
        }
    }
    output[(((long)n * OH + oh) * OW + ow) * CO + co] = acc;
}

// Gradient with respect to the input, gathered per input element (no atomics):
//   gradInput[n, h, w, ci] = sum over (kh, kw, co) with h = oh*SH + kh - PT, w = ow*SW + kw - PL
//                            of gradOutput[n, oh, ow, co] * weights[kh, kw, ci, co]
// Both factors are contiguous in co, so the inner dot product runs on float16 vectors.
// Global size: (CI, W, N * H).
__kernel void conv2d_backward_input(CONV_SHAPE_ARGS,
                                    __global const float* gradOutput, __global const float* weights,
                                    __global float* gradInput) {
    const int ci = get_global_id(0);
    const int w = get_global_id(1);
    const int nh = get_global_id(2);
    if (ci >= CI || w >= W || nh >= N * H) return;
    const int n = nh / H;
    const int h = nh % H;
    float16 vectorAcc = (float16)(0.0f);
    float acc = 0.0f;
    for (int kh = 0; kh < KH; ++kh) {
        const int ohScaled = h + PT - kh;
        if (ohScaled < 0 || ohScaled % SH != 0) continue;
        const int oh = ohScaled / SH;
        if (oh >= OH) continue;
        for (int kw = 0; kw < KW; ++kw) {
            const int owScaled = w + PL - kw;
            if (owScaled < 0 || owScaled % SW != 0) continue;
            const int ow = owScaled / SW;
            if (ow >= OW) continue;
            __global const float* g = gradOutput + (((long)n * OH + oh) * OW + ow) * CO;
            __global const float* k = weights + ((kh * KW + kw) * CI + ci) * CO;
            int co = 0;
            for (; co + 16 <= CO; co += 16) vectorAcc = fma(vload16(0, g + co), vload16(0, k + co), vectorAcc);
            for (; co < CO; ++co) acc = fma(g[co], k[co], acc);
        }
    }
    const float8 halves = vectorAcc.lo + vectorAcc.hi;
    const float4 quarter = halves.lo + halves.hi;
    const float2 eighth = quarter.lo + quarter.hi;
    gradInput[(((long)n * H + h) * W + w) * CI + ci] = acc + eighth.x + eighth.y;
}

// CPU variant of conv2d_backward_input for stride 1: one work-item gathers CONV_INPUT_PIXELS
// adjacent input pixels of one input channel, so each kernel row (kh, kw) loads once for all of
// them and no index needs a division; pixel p of the row takes output column w0 + p + PL - kw.
// Global size: (CI, ceil(W / CONV_INPUT_PIXELS), N * H).
__kernel void conv2d_backward_input_rows(CONV_SHAPE_ARGS,
                                         __global const float* gradOutput, __global const float* weights,
                                         __global float* gradInput) {
    const int ci = get_global_id(0);
    const int w0 = get_global_id(1) * CONV_INPUT_PIXELS;
    const int nh = get_global_id(2);
    if (ci >= CI || w0 >= W || nh >= N * H) return;
    const int n = nh / H;
    const int h = nh % H;
    float16 vectorAcc[CONV_INPUT_PIXELS];
    float acc[CONV_INPUT_PIXELS];
    #pragma unroll
    for (int p = 0; p < CONV_INPUT_PIXELS; ++p) {
        vectorAcc[p] = (float16)(0.0f);
        acc[p] = 0.0f;
    }
    const int vectorCO = CO & ~15;
    for (int kh = 0; kh < KH; ++kh) {
        const int oh = h + PT - kh;
        if (oh < 0 || oh >= OH) continue;
        __global const float* row = gradOutput + ((long)n * OH + oh) * OW * CO;
        for (int kw = 0; kw < KW; ++kw) {
            __global const float* k = weights + ((kh * KW + kw) * CI + ci) * CO;
            const int firstColumn = w0 + PL - kw;
            for (int co = 0; co < vectorCO; co += 16) {
                const float16 kv = vload16(0, k + co);
                #pragma unroll
                for (int p = 0; p < CONV_INPUT_PIXELS; ++p) {
                    const int ow = firstColumn + p;
                    if (ow >= 0 && ow < OW) vectorAcc[p] = fma(vload16(0, row + (long)ow * CO + co), kv, vectorAcc[p]);
                }
            }
            for (int co = vectorCO; co < CO; ++co) {
                const float kc = k[co];
                #pragma unroll
                for (int p = 0; p < CONV_INPUT_PIXELS; ++p) {
                    const int ow = firstColumn + p;
                    if (ow >= 0 && ow < OW) acc[p] = fma(row[(long)ow * CO + co], kc, acc[p]);
                }
            }
        }
    }
    __global float* out = gradInput + (((long)n * H + h) * W + w0) * CI + ci;
    #pragma unroll
    for (int p = 0; p < CONV_INPUT_PIXELS; ++p) {
        if (w0 + p >= W) break;
        const float8 halves = vectorAcc[p].lo + vectorAcc[p].hi;
        const float4 quarter = halves.lo + halves.hi;
        const float2 eighth = quarter.lo + quarter.hi;
        out[p * CI] = acc[p] + eighth.x + eighth.y;
    }
}

// Gradient with respect to kernel and bias, a reduction over P = N * OH * OW output positions in
// two stages (split-K): partial sums over chunks of CONV_REDUCE_CHUNK positions, then a sum over
// chunks. Row r < KH*KW*CI of the partials is kernel weight row r; row KH*KW*CI is the bias.
//   partials [chunks, KH*KW*CI + 1, CO]
// Each work-item sums 16 output channels of CONV_GRAD_ROWS consecutive rows over one chunk,
// walking the chunk's positions in order: it loads each position's 16 gradOutput values once
// (rows of gradOutput are contiguous in CO) for all its rows, so a first layer's 3x3 kernel and
// bias (10 rows) read gradOutput once instead of ten times.
// Global size: (ceil(CO / 16), ceil((KH*KW*CI + 1) / CONV_GRAD_ROWS), chunks).
__kernel void conv2d_backward_kernel_partial(CONV_SHAPE_ARGS,
                                             __global const float* input, __global const float* gradOutput,
                                             __global float* partials) {
    const int co0 = get_global_id(0) * 16;
    const int row0 = get_global_id(1) * CONV_GRAD_ROWS;
    const int chunk = get_global_id(2);
    const int rows = KH * KW * CI + 1;
    const int positions = N * OH * OW;
    if (co0 >= CO || row0 >= rows || chunk * CONV_REDUCE_CHUNK >= positions) return;
    const int first = chunk * CONV_REDUCE_CHUNK;
    const int last = min(first + CONV_REDUCE_CHUNK, positions);
    const int width = min(16, CO - co0);
    // Per row: the input offset of its kernel tap relative to the output position, and its channel.
    int tapH[CONV_GRAD_ROWS], tapW[CONV_GRAD_ROWS], tapC[CONV_GRAD_ROWS];
    float16 acc[CONV_GRAD_ROWS];
    for (int r = 0; r < CONV_GRAD_ROWS; ++r) {
        const int row = min(row0 + r, rows - 1);
        tapC[r] = row % CI;
        tapW[r] = (row / CI) % KW - PL;
        tapH[r] = row / (CI * KW) - PT;
        acc[r] = (float16)(0.0f);
    }
    int ow = first % OW;
    int oh = (first / OW) % OH;
    int n = first / (OW * OH);
    float lanes[16];
    for (int p = first; p < last; ++p) {
        __global const float* g = gradOutput + (long)p * CO + co0;
        float16 gv;
        if (width == 16) gv = vload16(0, g);
        else {
            for (int j = 0; j < 16; ++j) lanes[j] = j < width ? g[j] : 0.0f;
            gv = vload16(0, lanes);
        }
        const int ih0 = oh * SH, iw0 = ow * SW;
        __global const float* image = input + (long)n * H * W * CI;
        for (int r = 0; r < CONV_GRAD_ROWS; ++r) {
            float x = 1.0f;   // the bias row
            if (row0 + r < rows - 1) {
                const int ih = ih0 + tapH[r], iw = iw0 + tapW[r];
                x = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? image[((long)ih * W + iw) * CI + tapC[r]] : 0.0f;
            }
            acc[r] = fma((float16)(x), gv, acc[r]);
        }
        if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; ++n; } }
    }
    for (int r = 0; r < CONV_GRAD_ROWS && row0 + r < rows; ++r) {
        __global float* out = partials + ((long)chunk * rows + row0 + r) * CO + co0;
        if (width == 16) vstore16(acc[r], 0, out);
        else {
            vstore16(acc[r], 0, lanes);
            for (int j = 0; j < width; ++j) out[j] = lanes[j];
        }
    }
}

// Global size: (CO, KH*KW*CI + 1).
__kernel void conv2d_backward_kernel_reduce(const int rows, const int CO, const int chunks,
                                            __global const float* partials,
                                            __global float* gradKernel, __global float* gradBias,
                                            const int hasBias) {
    const int co = get_global_id(0);
    const int row = get_global_id(1);
    if (co >= CO || row >= rows) return;
    float acc = 0.0f;
    for (int c = 0; c < chunks; ++c) acc += partials[((long)c * rows + row) * CO + co];
    if (row < rows - 1) gradKernel[row * CO + co] = acc;
    else if (hasBias) gradBias[co] = acc;
}

// Shape-specialised convolution, optionally fused with max pooling, bias and activation, for
// CO % 16 == 0. Every size except the batch is a compile-time constant (the host builds one
// program per shape and caches it), so the window loops unroll fully and the padding checks
// vanish when there is no padding. One work-item computes 16 x S_BLOCKS output channels of a run
// of S_RUN output positions along a row: for each, the PH x PW conv outputs of its pooling window
// (1 x 1 without pooling), their maximum, plus bias, then the activation (monotonic, so pooling
// before it equals pooling after it). The run shares the index arithmetic and, when they fit in
// registers (S_HOIST), the weights, loaded once before it.
//   S_H, S_W, S_CI, S_CO, S_KH, S_KW, S_SH, S_SW, S_PT, S_PL: the convolution
//   S_PH, S_PW, S_QSH, S_QSW, S_QH, S_QW: the pooling window, its stride, the final output size
//   S_ACTIVATION: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 leaky relu (slope S_LEAKY_MILLI / 1000)
//   S_BOUNDS: 1 when some window reaches into the zero padding (then reads are checked)
//   S_BLOCKS: 16-channel blocks per work-item (S_CO a multiple of 16 x S_BLOCKS), each input value
//     loaded once for all of them
//   S_RUN: output positions per work-item, consecutive along a row (the last run of a row may be
//     shorter)
//   S_KEEP: 1 to also write every convolution output, activated, to `activations` (training,
//     whose backward passes read them), for pooling windows that tile the S_OH x S_OW output
// Global size: (N * S_QH * ceil(S_QW / S_RUN) * S_CO / (16 * S_BLOCKS)).
#ifdef S_CO
#if S_ACTIVATION == 1
#define S_ACTIVATE(v) select(fmax(v, 0.0f), v, isnan(v))   // NaN passes, as relu_forward
#elif S_ACTIVATION == 2
#define S_ACTIVATE(v) (1.0f / (1.0f + exp(-(v))))
#elif S_ACTIVATION == 3
#define S_ACTIVATE(v) tanh(v)
#elif S_ACTIVATION == 4
#define S_ACTIVATE(v) select((v) * (S_LEAKY_MILLI / 1000.0f), (v), (v) > 0.0f)
#else
#define S_ACTIVATE(v) (v)
#endif
#ifndef S_RUN
#define S_RUN 1
#endif
#define S_TAPS (S_KH * S_KW * S_CI)
#define S_HOIST (S_TAPS * S_BLOCKS <= 18)   // weight vectors kept in registers across the run
__kernel void conv2d_pool_forward_specialized(const int N, __global const float* input, __global const float* weights,
                                              __global const float* bias, const int hasBias, __global float* output,
                                              __global float* activations) {
    const int i = get_global_id(0);
    const int groups = S_CO / (16 * S_BLOCKS);
    const int runs = (S_QW + S_RUN - 1) / S_RUN;
    if (i >= N * S_QH * runs * groups) return;
    const int co0 = (i % groups) * 16 * S_BLOCKS;
    const int run = (i / groups) % runs;
    const int row = i / (groups * runs);   // n * S_QH + qh
    const int qh = row % S_QH;
    const int n = row / S_QH;
    __global const float* image = input + (long)n * S_H * S_W * S_CI;
    float16 hoisted[S_HOIST ? S_TAPS : 1][S_BLOCKS];
    if (S_HOIST) {
        #pragma unroll
        for (int t = 0; t < S_TAPS; ++t)
            #pragma unroll
            for (int b = 0; b < S_BLOCKS; ++b) hoisted[t][b] = vload16(0, weights + t * S_CO + co0 + 16 * b);
    }
    float16 shift[S_BLOCKS];
    #pragma unroll
    for (int b = 0; b < S_BLOCKS; ++b) shift[b] = hasBias ? vload16(0, bias + co0 + 16 * b) : (float16)(0.0f);
    for (int j = 0; j < S_RUN; ++j) {
        const int qw = run * S_RUN + j;
        if (S_QW % S_RUN != 0 && qw >= S_QW) break;
        float16 acc[S_PH * S_PW][S_BLOCKS];
        #pragma unroll
        for (int p = 0; p < S_PH * S_PW; ++p) {
            #pragma unroll
            for (int b = 0; b < S_BLOCKS; ++b) acc[p][b] = (float16)(0.0f);
        }
        #pragma unroll
        for (int kh = 0; kh < S_KH; ++kh) {
            #pragma unroll
            for (int kw = 0; kw < S_KW; ++kw) {
                #pragma unroll
                for (int ci = 0; ci < S_CI; ++ci) {
                    const int tap = (kh * S_KW + kw) * S_CI + ci;
                    float16 w[S_BLOCKS];
                    #pragma unroll
                    for (int b = 0; b < S_BLOCKS; ++b) w[b] = S_HOIST ? hoisted[S_HOIST ? tap : 0][b] : vload16(0, weights + tap * S_CO + co0 + 16 * b);
                    #pragma unroll
                    for (int ph = 0; ph < S_PH; ++ph) {
                        #pragma unroll
                        for (int pw = 0; pw < S_PW; ++pw) {
                            const int ih = (qh * S_QSH + ph) * S_SH + kh - S_PT;
                            const int iw = (qw * S_QSW + pw) * S_SW + kw - S_PL;
                            float x;
                            if (S_BOUNDS) {
                                x = (ih >= 0 && ih < S_H && iw >= 0 && iw < S_W) ? image[(ih * S_W + iw) * S_CI + ci] : 0.0f;
                            } else {
                                x = image[(ih * S_W + iw) * S_CI + ci];
                            }
                            #pragma unroll
                            for (int b = 0; b < S_BLOCKS; ++b) acc[ph * S_PW + pw][b] = fma((float16)(x), w[b], acc[ph * S_PW + pw][b]);
                        }
                    }
                }
            }
        }
        const long position = (long)row * S_QW + qw;
        #pragma unroll
        for (int b = 0; b < S_BLOCKS; ++b) {
            const int c = co0 + 16 * b;
#if S_KEEP
            // Training: every convolution output of the window too, with bias and activation (the
            // windows tile the convolution's output, S_OH x S_OW, so each is written once).
            #pragma unroll
            for (int ph = 0; ph < S_PH; ++ph) {
                #pragma unroll
                for (int pw = 0; pw < S_PW; ++pw) {
                    const long pixel = ((long)n * S_OH + qh * S_PH + ph) * S_OW + qw * S_PW + pw;
                    vstore16(S_ACTIVATE(acc[ph * S_PW + pw][b] + shift[b]), 0, activations + pixel * S_CO + c);
                }
            }
#endif
            float16 best = acc[0][b];
            #pragma unroll
            for (int p = 1; p < S_PH * S_PW; ++p) best = fmax(best, acc[p][b]);
            best = S_ACTIVATE(best + shift[b]);
            vstore16(best, 0, output + position * S_CO + c);
        }
    }
}
#endif

// Training's conv block backward for a first layer (a stride-1 convolution, relu, and a max
// pooling whose windows tile the convolution's output; no input gradient wanted): the kernel and
// bias gradients straight from the pooled output's gradient, the sums that maxpool2d_backward16
// (with relu) and conv2d_backward_kernel_partial would give, without writing the convolution
// output's gradient. Each pooled position's gradient reaches its window's first maximum where
// that maximum is positive (`activations` hold the relu's outputs), and the taps read the
// (PH+KH-1) x (PW+KW-1) input patch under the window, loaded once. Partial sums over chunks of
// G_CHUNK pooled positions in conv2d_backward_kernel_partial's layout [chunks, KH*KW*CI + 1, CO]
// (row r < KH*KW*CI the kernel tap (kh * KW + kw) * CI + ci, the last the bias), summed by
// conv2d_backward_kernel_reduce.
// Compile-time: G_H, G_W, G_CI, G_CO, G_KH, G_KW, G_PT, G_PL (the convolution), G_OH, G_OW (its
// output), G_PH, G_PW (the pooling windows and stride), G_QH, G_QW (the pooled size), G_CHUNK,
// G_BOUNDS (1 when a patch reaches into the zero padding).
// Global size: (G_CO / 16, chunks).
#ifdef G_CO
#define G_ROWS (G_KH * G_KW * G_CI + 1)
#define G_PATCH_H (G_PH + G_KH - 1)
#define G_PATCH_W (G_PW + G_KW - 1)
__kernel void conv_pool_kernel_grad_partial(const int N, __global const float* input, __global const float* activations,
                                            __global const float* gradPooled, __global float* partials) {
    const int co0 = get_global_id(0) * 16;
    const int chunk = get_global_id(1);
    const int first = chunk * G_CHUNK;
    const int positions = N * G_QH * G_QW;
    if (co0 >= G_CO || first >= positions) return;
    const int last = min(first + G_CHUNK, positions);
    float16 acc[G_ROWS];
    #pragma unroll
    for (int r = 0; r < G_ROWS; ++r) acc[r] = (float16)(0.0f);
    for (int q = first; q < last; ++q) {
        const int qw = q % G_QW, qh = (q / G_QW) % G_QH, n = q / (G_QW * G_QH);
        // The window's first maximum, as window_argmax16 (the activations are relu outputs).
        __global const float* window = activations + (((long)n * G_OH + qh * G_PH) * G_OW + qw * G_PW) * G_CO + co0;
        float16 best = vload16(0, window);
        int16 bestIndex = (int16)(0);
        #pragma unroll
        for (int ph = 0; ph < G_PH; ++ph)
            #pragma unroll
            for (int pw = 0; pw < G_PW; ++pw) {
                const float16 value = vload16(0, window + (ph * G_OW + pw) * G_CO);
                const int16 larger = isgreater(value, best);
                best = select(best, value, larger);
                bestIndex = select(bestIndex, (int16)(ph * G_PW + pw), larger);
            }
        const float16 g = select((float16)(0.0f), vload16(0, gradPooled + (long)q * G_CO + co0), isgreater(best, (float16)(0.0f)));
        float patch[G_PATCH_H * G_PATCH_W * G_CI];
        const int ih0 = qh * G_PH - G_PT, iw0 = qw * G_PW - G_PL;
        __global const float* image = input + (long)n * G_H * G_W * G_CI;
        #pragma unroll
        for (int y = 0; y < G_PATCH_H; ++y)
            #pragma unroll
            for (int x = 0; x < G_PATCH_W; ++x)
                #pragma unroll
                for (int c = 0; c < G_CI; ++c) {
                    const int ih = ih0 + y, iw = iw0 + x;
#if G_BOUNDS
                    patch[(y * G_PATCH_W + x) * G_CI + c] =
                        (ih >= 0 && ih < G_H && iw >= 0 && iw < G_W) ? image[((long)ih * G_W + iw) * G_CI + c] : 0.0f;
#else
                    patch[(y * G_PATCH_W + x) * G_CI + c] = image[((long)ih * G_W + iw) * G_CI + c];
#endif
                }
        #pragma unroll
        for (int ph = 0; ph < G_PH; ++ph)
            #pragma unroll
            for (int pw = 0; pw < G_PW; ++pw) {
                const float16 routed = select((float16)(0.0f), g, bestIndex == (int16)(ph * G_PW + pw));
                #pragma unroll
                for (int kh = 0; kh < G_KH; ++kh)
                    #pragma unroll
                    for (int kw = 0; kw < G_KW; ++kw)
                        #pragma unroll
                        for (int c = 0; c < G_CI; ++c) {
                            const int r = (kh * G_KW + kw) * G_CI + c;
                            acc[r] = fma((float16)(patch[((ph + kh) * G_PATCH_W + pw + kw) * G_CI + c]), routed, acc[r]);
                        }
                acc[G_ROWS - 1] += routed;
            }
    }
    #pragma unroll
    for (int r = 0; r < G_ROWS; ++r) vstore16(acc[r], 0, partials + ((long)chunk * G_ROWS + r) * G_CO + co0);
}
#endif
