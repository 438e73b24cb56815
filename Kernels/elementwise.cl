// Element-wise ops over flat float arrays. Global size: (count) rounded up to the local size.

// y[r, c] = x[r, c] + bias[c] for a rows x cols row-major matrix (x and y may be the same buffer).
__kernel void bias_add(const int count, const int cols, __global const float* x,
                       __global const float* bias, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = x[i] + bias[i % cols];
}

// NaN passes through, as in the CPU reference (fmax alone would turn it into 0 and hide a
// diverged parameter from the loss).
__kernel void relu_forward(const int count, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = isnan(x[i]) ? x[i] : fmax(x[i], 0.0f);
}

// The derivative of max(x, 0) is taken as 0 at x = 0, as TensorFlow does.
__kernel void relu_backward(const int count, __global const float* gradOutput, __global const float* x,
                            __global float* gradInput) {
    const int i = get_global_id(0);
    if (i < count) gradInput[i] = x[i] > 0.0f ? gradOutput[i] : 0.0f;
}

__kernel void fill(const int count, const float value, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = value;
}

// Logistic sigmoid and tanh; their backward passes use the forward output y:
//   sigmoid' = y (1 - y),   tanh' = 1 - y^2.
__kernel void sigmoid_forward(const int count, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = 1.0f / (1.0f + exp(-x[i]));
}

__kernel void sigmoid_backward(const int count, __global const float* gradOutput, __global const float* y,
                               __global float* gradInput) {
    const int i = get_global_id(0);
    if (i < count) gradInput[i] = gradOutput[i] * y[i] * (1.0f - y[i]);
}

__kernel void tanh_forward(const int count, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = tanh(x[i]);
}

__kernel void tanh_backward(const int count, __global const float* gradOutput, __global const float* y,
                            __global float* gradInput) {
    const int i = get_global_id(0);
    if (i < count) gradInput[i] = gradOutput[i] * (1.0f - y[i] * y[i]);
}

// Inverted dropout with a counter-based mask: element i is kept when the top 24 bits of
// dropout_hash(i * 0x9E3779B9 + seed) are at least `threshold` (= rate * 2^24, from the host), and
// kept elements are multiplied by `scale` (= 1 / (1 - rate)). The mask depends only on (seed, i),
// so the backward pass recomputes it and the CPU reference computes the same bits.
inline uint dropout_hash(uint x) {
    x ^= x >> 16; x *= 0x7feb352du;
    x ^= x >> 15; x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

__kernel void dropout_forward(const int count, __global const float* x, __global float* y,
                              const uint seed, const uint threshold, const float scale) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const bool keep = (dropout_hash((uint)i * 0x9E3779B9u + seed) >> 8) >= threshold;
    y[i] = keep ? x[i] * scale : 0.0f;
}

// DeepLIFT's rescale rule (Shrikumar et al. 2017, section 3.5.1) for an element-wise
// nonlinearity y = g(z), between an input x and a reference r:
//   m_z = m_y * (y_x - y_r) / (z_x - z_r),  or m_y * g'(z_x) where |z_x - z_r| < 1e-6
// `activation`: 1 relu, 2 sigmoid, 3 tanh, 4 leaky relu with `negativeSlope` (0, linear, passes m_y through).
// The x side is `batch` samples of `sampleCount` elements; the reference side holds as many, or one
// sample repeated over the batch (`referenceBatch` = 1). Global size: (sampleCount, batch), so that
// no work-item divides to find its sample.
__kernel void deeplift_rescale(const int sampleCount, const int batch, const int referenceBatch, const int activation,
                               const float negativeSlope, __global const float* gradOutput,
                               __global const float* zx, __global const float* zr,
                               __global const float* yx, __global const float* yr, __global float* gradInput) {
    const int e = get_global_id(0);
    const int b = get_global_id(1);
    if (e >= sampleCount || b >= batch) return;
    const int i = b * sampleCount + e;
    const int r = referenceBatch == 1 ? e : i;
    const float dz = zx[i] - zr[r];
    float slope;
    if (fabs(dz) >= 1e-6f) {
        slope = (yx[i] - yr[r]) / dz;
    } else if (activation == 1) {
        slope = zx[i] > 0.0f ? 1.0f : 0.0f;
    } else if (activation == 2) {
        slope = yx[i] * (1.0f - yx[i]);
    } else if (activation == 3) {
        slope = 1.0f - yx[i] * yx[i];
    } else if (activation == 4) {
        slope = zx[i] > 0.0f ? 1.0f : negativeSlope;
    } else {
        slope = 1.0f;
    }
    gradInput[i] = gradOutput[i] * slope;
}

// Leaky ReLU, y = x for x > 0 and slope * x otherwise (Keras's leaky_relu; slope > 0). NaN passes
// through, as in relu_forward.
__kernel void leaky_relu_forward(const int count, const float slope, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float v = x[i];
    y[i] = v > 0.0f ? v : slope * v;
}

// From the output: y > 0 exactly where x > 0 (slope > 0). gradInput may be gradOutput.
__kernel void leaky_relu_backward(const int count, const float slope, __global const float* gradOutput,
                                  __global const float* y, __global float* gradInput) {
    const int i = get_global_id(0);
    if (i >= count) return;
    gradInput[i] = y[i] > 0.0f ? gradOutput[i] : slope * gradOutput[i];
}
