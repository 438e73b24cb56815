// 2-D max pooling, NHWC, `valid` windows: input [N, H, W, C] -> output [N, OH, OW, C]
// with OH = (H - PH) / SH + 1. The maximum of a window is its first largest element in row-major
// window order (strict >), the rule the backward pass routes the gradient by.

#define POOL_SHAPE_ARGS const int N, const int H, const int W, const int C, \
                        const int PH, const int PW, const int SH, const int SW, const int OH, const int OW

inline int pool_argmax(__global const float* image, int W, int C, int c,
                       int oh, int ow, int PH, int PW, int SH, int SW) {
    int best = (oh * SH * W + ow * SW) * C + c;
    float bestValue = image[best];
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) {
            const int index = ((oh * SH + ph) * W + ow * SW + pw) * C + c;
            if (image[index] > bestValue) { bestValue = image[index]; best = index; }
        }
    return best;
}

// Global size: (C, OW, N * OH).
__kernel void maxpool2d_forward(POOL_SHAPE_ARGS, __global const float* input, __global float* output) {
    const int c = get_global_id(0);
    const int ow = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || ow >= OW || nh >= N * OH) return;
    const int n = nh / OH;
    const int oh = nh % OH;
    __global const float* image = input + (long)n * H * W * C;
    output[(((long)n * OH + oh) * OW + ow) * C + c] = image[pool_argmax(image, W, C, c, oh, ow, PH, PW, SH, SW)];
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
    const int ohFirst = h < PH ? 0 : (h - PH) / SH + 1;
    const int owFirst = w < PW ? 0 : (w - PW) / SW + 1;
    const int ohLast = min(h / SH, OH - 1);
    const int owLast = min(w / SW, OW - 1);
    float acc = 0.0f;
    for (int oh = ohFirst; oh <= ohLast; ++oh)
        for (int ow = owFirst; ow <= owLast; ++ow)
            if (pool_argmax(image, W, C, c, oh, ow, PH, PW, SH, SW) == self)
                acc += gradOutput[(((long)n * OH + oh) * OW + ow) * C + c];
    gradInput[(long)n * H * W * C + self] = acc;
}

// Vector variants for C % 16 == 0 (PoCL vectorises explicit float16 far better than the scalar
// kernels above): one work-item per output position and 16 channels.
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

// Scatter for windows that do not overlap (SH >= PH and SW >= PW): each output position writes
// its whole window, the gradient at the first maximum and 0 elsewhere. Input elements outside
// every window must be zeroed beforehand (the host fills when the windows do not tile the input).
// Global size: (N * OH * OW * C / 16).
__kernel void maxpool2d_backward16(POOL_SHAPE_ARGS, __global const float* input,
                                   __global const float* gradOutput, __global float* gradInput) {
    const int i = get_global_id(0);
    const int blocks = C / 16;
    if (i >= N * OH * OW * blocks) return;
    const int c = (i % blocks) * 16;
    const int position = i / blocks;
    const int ow = position % OW;
    const int oh = (position / OW) % OH;
    const int n = position / (OW * OH);
    const long offset = (((long)n * H + oh * SH) * W + ow * SW) * C + c;
    __global const float* window = input + offset;
    float16 best = vload16(0, window);
    int16 bestIndex = (int16)(0);
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) {
            const float16 value = vload16(0, window + (ph * W + pw) * C);
            const int16 larger = isgreater(value, best);
            best = select(best, value, larger);
            bestIndex = select(bestIndex, (int16)(ph * PW + pw), larger);
        }
    const float16 gradient = vload16(0, gradOutput + (long)position * C + c);
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw)
            vstore16(select((float16)(0.0f), gradient, bestIndex == (int16)(ph * PW + pw)), 0,
                     gradInput + offset + (ph * W + pw) * C);
}

// 2-D average pooling, NHWC, `valid` windows (Keras's AveragePooling2D): each output is the mean
// of its PH x PW window. Global size: (C, OW, N * OH).
__kernel void avgpool2d_forward(POOL_SHAPE_ARGS, __global const float* input, __global float* output) {
    const int c = get_global_id(0);
    const int ow = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || ow >= OW || nh >= N * OH) return;
    const int n = nh / OH;
    const int oh = nh % OH;
    __global const float* image = input + (long)n * H * W * C;
    float total = 0.0f;
    for (int ph = 0; ph < PH; ++ph)
        for (int pw = 0; pw < PW; ++pw) total += image[((oh * SH + ph) * W + ow * SW + pw) * C + c];
    output[(((long)n * OH + oh) * OW + ow) * C + c] = total / (float)(PH * PW);
}

// Each input element gathers gradOutput / (PH * PW) from every window holding it.
// Global size: (C, W, N * H).
__kernel void avgpool2d_backward(POOL_SHAPE_ARGS, __global const float* gradOutput, __global float* gradInput) {
    const int c = get_global_id(0);
    const int w = get_global_id(1);
    const int nh = get_global_id(2);
    if (c >= C || w >= W || nh >= N * H) return;
    const int n = nh / H;
    const int h = nh % H;
    const int ohFirst = h < PH ? 0 : (h - PH) / SH + 1;
    const int owFirst = w < PW ? 0 : (w - PW) / SW + 1;
    const int ohLast = min(h / SH, OH - 1);
    const int owLast = min(w / SW, OW - 1);
    float acc = 0.0f;
    for (int oh = ohFirst; oh <= ohLast; ++oh)
        for (int ow = owFirst; ow <= owLast; ++ow)
            acc += gradOutput[(((long)n * OH + oh) * OW + ow) * C + c];
    gradInput[(((long)n * H + h) * W + w) * C + c] = acc / (float)(PH * PW);
}
