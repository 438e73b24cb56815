// 2-D max pooling, NHWC: input [N, H, W, C] -> output [N, OH, OW, C]. Window (oh, ow) starts at
// row oh * SH - PT and column ow * SW - PL: `valid` windows (PT = PL = 0, OH = (H - PH) / SH + 1)
// or `same` ones (OH = ceil(H / SH), TensorFlow's padding split), which use only the elements
// inside the input. The maximum of a window is its first largest element in row-major window
// order (strict >), the rule the backward pass routes the gradient by.

#define POOL_SHAPE_ARGS const int N, const int H, const int W, const int C, \
                        const int PH, const int PW, const int SH, const int SW, const int OH, const int OW, \
                        const int PT, const int PL

inline int pool_argmax(__global const float* image, int H, int W, int C, int c,
                       int oh, int ow, int PH, int PW, int SH, int SW, int PT, int PL) {
    int best = -1;
    float bestValue = 0.0f;
    for (int ph = 0; ph < PH; ++ph) {
        const int h = oh * SH - PT + ph;
        if (h < 0 || h >= H) continue;
        for (int pw = 0; pw < PW; ++pw) {
            const int w = ow * SW - PL + pw;
            if (w < 0 || w >= W) continue;
            const int index = (h * W + w) * C + c;
            if (best < 0 || image[index] > bestValue) { bestValue = image[index]; best = index; }
        }
    }
    return best;
}

// The windows holding input element (h, w): rows s0...s1 and columns s2...s3 of the output
// (inclusive; empty where first > last).
inline int4 windows_holding(int h, int w, int PH, int PW, int SH, int SW, int OH, int OW, int PT, int PL) {
    const int hp = h + PT, wp = w + PL;
    return (int4)(hp < PH ? 0 : (hp - PH) / SH + 1, min(hp / SH, OH - 1),
                  wp < PW ? 0 : (wp - PW) / SW + 1, min(wp / SW, OW - 1));
}

// The input rows (or columns) of window `o` along one axis: [first, last).
inline int window_first(int o, int S, int P) { return max(o * S - P, 0); }
inline int window_last(int o, int S, int P, int K, int size) { return min(o * S - P + K, size); }

// Global size: (C, OW, N * OH).
__kernel void maxpool2d_forward(POOL_SHAPE_ARGS, __global const float* input, __global float* output) {
    const int c = get_global_id(0);
    const int ow = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || ow >= OW || nh >= N * OH) return;
    const int n = nh / OH;
    const int oh = nh % OH;
    __global const float* image = input + (long)n * H * W * C;
    output[(((long)n * OH + oh) * OW + ow) * C + c] = image[pool_argmax(image, H, W, C, c, oh, ow, PH, PW, SH, SW, PT, PL)];
}

// Gathers, for each input element, the gradient of every window whose maximum it is.
// Global size: (C, W, N * H).
__kernel void maxpool2d_backward(POOL_SHAPE_ARGS, __global const float* input,
                                 __global const float* gradOutput, __global float* gradInput) {
    const int c = get_global_id(0);
    const int w = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || w >= W || nh >= N * H) return;
    const int n = nh / H;
    const int h = nh % H;
    __global const float* image = input + (long)n * H * W * C;
    const int self = (h * W + w) * C + c;
    const int4 windows = windows_holding(h, w, PH, PW, SH, SW, OH, OW, PT, PL);
    float acc = 0.0f;
    for (int oh = windows.s0; oh <= windows.s1; ++oh)
        for (int ow = windows.s2; ow <= windows.s3; ++ow)
            if (pool_argmax(image, H, W, C, c, oh, ow, PH, PW, SH, SW, PT, PL) == self)
                acc += gradOutput[(((long)n * OH + oh) * OW + ow) * C + c];
    gradInput[(long)n * H * W * C + self] = acc;
}

// DeepLIFT's max-pooling rule as shap's DeepExplainer applies it, in one pass (the sum of two
// max-pool backward routings, as the CPU reference computes it): for each input element, over
// the windows holding it, with c = max(out_x, out_r), add
// m * (c - out_r) where it is the window's maximum at x and m * (out_x - c) where it is the
// maximum at the reference; divide by in_x - in_r (0 where |in_x - in_r| < 1e-7).
// The reference side holds `referenceBatch` images: N (one per image) or 1 (repeated over the batch).
// Global size: (C, W, N * H).
__kernel void deeplift_maxpool(POOL_SHAPE_ARGS, const int referenceBatch, __global const float* gradOutput,
                               __global const float* input, __global const float* referenceInput,
                               __global const float* output, __global const float* referenceOutput,
                               __global float* gradInput) {
    const int c = get_global_id(0);
    const int w = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || w >= W || nh >= N * H) return;
    const int n = nh / H;
    const int h = nh % H;
    const int nr = referenceBatch == 1 ? 0 : n;
    __global const float* image = input + (long)n * H * W * C;
    __global const float* referenceImage = referenceInput + (long)nr * H * W * C;
    const int self = (h * W + w) * C + c;
    const int4 windows = windows_holding(h, w, PH, PW, SH, SW, OH, OW, PT, PL);
    float acc = 0.0f;
    for (int oh = windows.s0; oh <= windows.s1; ++oh)
        for (int ow = windows.s2; ow <= windows.s3; ++ow) {
            const long o = (((long)n * OH + oh) * OW + ow) * C + c;
            const float outX = output[o], outR = referenceOutput[(((long)nr * OH + oh) * OW + ow) * C + c];
            const float top = fmax(outX, outR), m = gradOutput[o];
            if (pool_argmax(image, H, W, C, c, oh, ow, PH, PW, SH, SW, PT, PL) == self) acc += m * (top - outR);
            if (pool_argmax(referenceImage, H, W, C, c, oh, ow, PH, PW, SH, SW, PT, PL) == self) acc += m * (outX - top);
        }
    const float delta = image[self] - referenceImage[self];
    gradInput[(long)n * H * W * C + self] = fabs(delta) < 1e-7f ? 0.0f : acc / delta;
}

// Vector variants for C % 16 == 0 and windows inside the input (PoCL vectorises explicit float16
// far better than the scalar kernels above): one work-item per output position and 16 channels.
// Global size: (N * OH * OW * C / 16).
__kernel void maxpool2d_forward16(POOL_SHAPE_ARGS, __global const float* input, __global float* output) {
    const int i = get_global_id(0);
    const int blocks = C / 16;
    if (i >= N * OH * OW * blocks) return;
    const int c = (i % blocks) * 16;
    const int position = i / blocks;
    const int ow = position % OW;
    const int oh = (position / OW) % OH;
    const int n = position / (OW * OH);
    __global const float* window = input + (((long)n * H + oh * SH) * W + ow * SW) * C + c;
    float16 best = vload16(0, window);
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) best = fmax(best, vload16(0, window + (ph * W + pw) * C));
    vstore16(best, 0, output + (long)position * C + c);
}

// 16 channels of a pooling's input at `p`; with `relu`, `p` holds the inputs of the relu that made
// it, applied here as relu_forward does (NaN passes through).
inline float16 pool_input16(__global const float* p, int relu) {
    const float16 value = vload16(0, p);
    return relu ? select(fmax(value, (float16)(0.0f)), value, isnan(value)) : value;
}

// The position (ph * PW + pw) of each of 16 channels' first maximum in the window at `window`
// (read through pool_input16).
inline int16 window_argmax16(__global const float* window, int W, int C, int PH, int PW, int relu) {
    float16 best = pool_input16(window, relu);
    int16 bestIndex = (int16)(0);
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) {
            const float16 value = pool_input16(window + (ph * W + pw) * C, relu);
            const int16 larger = isgreater(value, best);
            best = select(best, value, larger);
            bestIndex = select(bestIndex, (int16)(ph * PW + pw), larger);
        }
    return bestIndex;
}

// Scatter for windows that do not overlap (SH >= PH and SW >= PW): each output position writes
// its whole window, the gradient at the first maximum and 0 elsewhere. Input elements outside
// every window must be zeroed beforehand (the host fills when the windows do not tile the input).
// With `relu` set, `input` holds a relu's outputs and the gradient passes only where the maximum
// is positive: the relu's backward pass too, giving the gradient of its input.
// Global size: (N * OH * OW * C / 16).
__kernel void maxpool2d_backward16(POOL_SHAPE_ARGS, __global const float* input,
                                   __global const float* gradOutput, __global float* gradInput, const int relu) {
    const int i = get_global_id(0);
    const int blocks = C / 16;
    if (i >= N * OH * OW * blocks) return;
    const int c = (i % blocks) * 16;
    const int position = i / blocks;
    const int ow = position % OW;
    const int oh = (position / OW) % OH;
    const int n = position / (OW * OH);
    const long offset = (((long)n * H + oh * SH) * W + ow * SW) * C + c;
    const int16 bestIndex = window_argmax16(input + offset, W, C, PH, PW, 0);
    const float16 gradient = vload16(0, gradOutput + (long)position * C + c);
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) {
            __global const float* element = input + offset + (ph * W + pw) * C;
            int16 passes = bestIndex == (int16)(ph * PW + pw);
            if (relu) passes &= isgreater(vload16(0, element), (float16)(0.0f));
            vstore16(select((float16)(0.0f), gradient, passes), 0, gradInput + offset + (ph * W + pw) * C);
        }
}

// The max-pool rule's multiplier of window element p (at `x` and `reference` on the two sides) for
// 16 channels, given what each side's first maximum routes (`towardX` to the input's, `towardR`
// to the reference's); with `relu`, `x` and `reference` hold the relu's inputs and the relu's
// rescale rule multiplies in (deeplift_rescale with activation 1).
inline float16 deeplift_pool_element16(__global const float* x, __global const float* reference, int p, int16 bestIndex,
                                       int16 referenceBestIndex, float16 towardX, float16 towardR, int relu) {
    const float16 routed = select((float16)(0.0f), towardX, bestIndex == (int16)(p))
                         + select((float16)(0.0f), towardR, referenceBestIndex == (int16)(p));
    const float16 delta = pool_input16(x, relu) - pool_input16(reference, relu);
    float16 multiplier = select(routed / delta, (float16)(0.0f), isless(fabs(delta), (float16)(1e-7f)));
    if (relu) {
        const float16 z = vload16(0, x);
        const float16 dz = z - vload16(0, reference);
        const float16 derivative = select((float16)(0.0f), (float16)(1.0f), isgreater(z, (float16)(0.0f)));
        multiplier *= select(delta / dz, derivative, isless(fabs(dz), (float16)(1e-6f)));
    }
    return multiplier;
}

// deeplift_maxpool for C % 16 == 0 and disjoint windows inside the input, as maxpool2d_backward16:
// one work-item per output position and 16 channels; elements in no window are left to the host
// (zeroed first). With `relu` set, each multiplier then takes the rescale rule of the relu whose
// outputs the windows hold (deeplift_rescale with activation 1), `preactivation` and
// `referencePreactivation` being the relu's inputs: the fused rule of a Conv2D + relu + MaxPool2D
// block (reading the relu's inputs in place of `input` and `referenceInput`). Global size:
// (N * OH * OW * C / 16).
__kernel void deeplift_maxpool16(POOL_SHAPE_ARGS, const int referenceBatch, __global const float* gradOutput,
                                 __global const float* input, __global const float* referenceInput,
                                 __global const float* output, __global const float* referenceOutput,
                                 const int relu, __global const float* preactivation,
                                 __global const float* referencePreactivation, __global float* gradInput) {
    const int i = get_global_id(0);
    const int blocks = C / 16;
    if (i >= N * OH * OW * blocks) return;
    const int c = (i % blocks) * 16;
    const int position = i / blocks;
    const int ow = position % OW;
    const int oh = (position / OW) % OH;
    const int n = position / (OW * OH);
    const int nr = referenceBatch == 1 ? 0 : n;
    const long offset = (((long)n * H + oh * SH) * W + ow * SW) * C + c;
    const long referenceOffset = (((long)nr * H + oh * SH) * W + ow * SW) * C + c;
    // With the relu, its inputs are read and the relu applied here: one stream fewer.
    __global const float* window = (relu ? preactivation : input) + offset;
    __global const float* referenceWindow = (relu ? referencePreactivation : referenceInput) + referenceOffset;
    const int16 bestIndex = window_argmax16(window, W, C, PH, PW, relu);
    const int16 referenceBestIndex = window_argmax16(referenceWindow, W, C, PH, PW, relu);
    const long referencePosition = ((long)nr * OH + oh) * OW + ow;
    const float16 outX = vload16(0, output + (long)position * C + c);
    const float16 outR = vload16(0, referenceOutput + referencePosition * C + c);
    const float16 m = vload16(0, gradOutput + (long)position * C + c);
    const float16 top = fmax(outX, outR);
    const float16 towardX = m * (top - outR), towardR = m * (outX - top);
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) {
            const int p = ph * PW + pw;
            const long element = (ph * W + pw) * C;
            vstore16(deeplift_pool_element16(window + element, referenceWindow + element, p, bestIndex, referenceBestIndex,
                                             towardX, towardR, relu), 0, gradInput + offset + element);
        }
}

// 2-D average pooling, NHWC (Keras's AveragePooling2D): each output is the mean of the elements
// of its window inside the input (TensorFlow's `same` pooling leaves the padding out of the
// count). Global size: (C, OW, N * OH).
__kernel void avgpool2d_forward(POOL_SHAPE_ARGS, __global const float* input, __global float* output) {
    const int c = get_global_id(0);
    const int ow = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || ow >= OW || nh >= N * OH) return;
    const int n = nh / OH;
    const int oh = nh % OH;
    __global const float* image = input + (long)n * H * W * C;
    const int h0 = window_first(oh, SH, PT), h1 = window_last(oh, SH, PT, PH, H);
    const int w0 = window_first(ow, SW, PL), w1 = window_last(ow, SW, PL, PW, W);
    float total = 0.0f;
    for (int h = h0; h < h1; ++h)
        for (int w = w0; w < w1; ++w) total += image[(h * W + w) * C + c];
    output[(((long)n * OH + oh) * OW + ow) * C + c] = total / (float)((h1 - h0) * (w1 - w0));
}

// Each input element gathers gradOutput / (the window's element count) from every window holding it.
// Global size: (C, W, N * H).
__kernel void avgpool2d_backward(POOL_SHAPE_ARGS, __global const float* gradOutput, __global float* gradInput) {
    const int c = get_global_id(0);
    const int w = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || w >= W || nh >= N * H) return;
    const int n = nh / H;
    const int h = nh % H;
    const int4 windows = windows_holding(h, w, PH, PW, SH, SW, OH, OW, PT, PL);
    float acc = 0.0f;
    for (int oh = windows.s0; oh <= windows.s1; ++oh)
        for (int ow = windows.s2; ow <= windows.s3; ++ow) {
            const int count = (window_last(oh, SH, PT, PH, H) - window_first(oh, SH, PT)) * (window_last(ow, SW, PL, PW, W) - window_first(ow, SW, PL));
            acc += gradOutput[(((long)n * OH + oh) * OW + ow) * C + c] / (float)count;
        }
    gradInput[(((long)n * H + h) * W + w) * C + c] = acc;
}

// DeepLIFT through a whole Conv2D + relu + MaxPool2D block (CPU variant), one work-item per sample
// of the batch: deeplift_maxpool16's rule with the relu (the multipliers of the convolution's
// output), then the convolution's linear rule (its input gradient at stride 1), without writing
// the convolution-sized multipliers out. Each output pixel's multipliers are dotted with the
// kernel's taps (kh, kw, ci) into `taps` (local memory, one work-item per work-group), which the
// input pixels then gather from. Every size but the batch is a compile-time constant:
//   D_H, D_W, D_CI: the convolution's input   D_KH, D_KW, D_PT, D_PL: its kernel and padding
//   D_CO, D_OH, D_OW: its output, which the D_PH x D_PW pooling windows tile (D_QH x D_QW of them)
// Global size: (N), local size (1).
#ifdef D_CO
#define D_TAPS (D_KH * D_KW * D_CI)
inline float sum16(float16 v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

__kernel void deeplift_conv_block(const int N, const int referenceBatch, __global const float* gradOutput,
                                  __global const float* preactivation, __global const float* referencePreactivation,
                                  __global const float* output, __global const float* referenceOutput,
                                  __global const float* weights, __global float* gradInput) {
    __local float taps[D_OH * D_OW * D_TAPS];
    const int n = get_global_id(0);
    if (n >= N) return;
    const int nr = referenceBatch == 1 ? 0 : n;
    for (int qh = 0; qh < D_QH; ++qh) {
        for (int qw = 0; qw < D_QW; ++qw) {
            float16 multipliers[D_PH * D_PW][D_CO / 16];
            for (int block = 0; block < D_CO / 16; ++block) {
                const int c = block * 16;
                const long offset = (((long)n * D_OH + qh * D_PH) * D_OW + qw * D_PW) * D_CO + c;
                const long referenceOffset = (((long)nr * D_OH + qh * D_PH) * D_OW + qw * D_PW) * D_CO + c;
                __global const float* window = preactivation + offset;
                __global const float* referenceWindow = referencePreactivation + referenceOffset;
                const int16 bestIndex = window_argmax16(window, D_OW, D_CO, D_PH, D_PW, 1);
                const int16 referenceBestIndex = window_argmax16(referenceWindow, D_OW, D_CO, D_PH, D_PW, 1);
                const float16 outX = vload16(0, output + (((long)n * D_QH + qh) * D_QW + qw) * D_CO + c);
                const float16 outR = vload16(0, referenceOutput + (((long)nr * D_QH + qh) * D_QW + qw) * D_CO + c);
                const float16 m = vload16(0, gradOutput + (((long)n * D_QH + qh) * D_QW + qw) * D_CO + c);
                const float16 top = fmax(outX, outR);
                const float16 towardX = m * (top - outR), towardR = m * (outX - top);
                for (int ph = 0; ph < D_PH; ++ph)
                    for (int pw = 0; pw < D_PW; ++pw) {
                        const int p = ph * D_PW + pw;
                        const long element = (ph * D_OW + pw) * D_CO;
                        multipliers[p][block] = deeplift_pool_element16(window + element, referenceWindow + element, p, bestIndex,
                                                                        referenceBestIndex, towardX, towardR, 1);
                    }
            }
            for (int ph = 0; ph < D_PH; ++ph)
                for (int pw = 0; pw < D_PW; ++pw) {
                    const int pixel = (qh * D_PH + ph) * D_OW + qw * D_PW + pw;
                    for (int t = 0; t < D_TAPS; ++t) {
                        float16 acc = multipliers[ph * D_PW + pw][0] * vload16(0, weights + t * D_CO);
                        for (int block = 1; block < D_CO / 16; ++block)
                            acc = fma(multipliers[ph * D_PW + pw][block], vload16(0, weights + t * D_CO + block * 16), acc);
                        taps[pixel * D_TAPS + t] = sum16(acc);
                    }
                }
        }
    }
    // The input gradient: input pixel (h, w) takes tap (kh, kw) of output pixel (h + PT - kh, w + PL - kw).
    __global float* image = gradInput + (long)n * D_H * D_W * D_CI;
    for (int h = 0; h < D_H; ++h)
        for (int w = 0; w < D_W; ++w)
            for (int ci = 0; ci < D_CI; ++ci) {
                float total = 0.0f;
                for (int kh = 0; kh < D_KH; ++kh) {
                    const int oh = h + D_PT - kh;
                    if (oh < 0 || oh >= D_OH) continue;
                    for (int kw = 0; kw < D_KW; ++kw) {
                        const int ow = w + D_PL - kw;
                        if (ow < 0 || ow >= D_OW) continue;
                        total += taps[(oh * D_OW + ow) * D_TAPS + (kh * D_KW + kw) * D_CI + ci];
                    }
                }
                image[(h * D_W + w) * D_CI + ci] = total;
            }
}
#endif
