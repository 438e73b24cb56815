// Batch normalisation over the last axis (Ioffe & Szegedy 2015, algorithm 1), on a tensor viewed
// as [rows, channels]: rows = every position of every sample.

// Per channel: the mean and the biased variance (as Keras's training step) over the rows, in
// two passes over the rows. One work-item per channel: global [channels].
__kernel void batchnorm_statistics(const int rows, const int channels, __global const float* x,
                                   __global float* mean, __global float* variance) {
    const int c = get_global_id(0);
    if (c >= channels) return;
    float total = 0.0f;
    for (int r = 0; r < rows; ++r) total += x[(long)r * channels + c];
    const float m = total / (float)rows;
    float squares = 0.0f;
    for (int r = 0; r < rows; ++r) {
        const float d = x[(long)r * channels + c] - m;
        squares += d * d;
    }
    mean[c] = m;
    variance[c] = squares / (float)rows;
}

// y = gamma * (x - mean) / sqrt(variance + epsilon) + beta. One work-item per element.
__kernel void batchnorm_forward(const int count, const int channels, const float epsilon, __global const float* x,
                                __global const float* mean, __global const float* variance, __global const float* gamma,
                                __global const float* beta, __global float* y) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int c = i % channels;
    y[i] = gamma[c] * (x[i] - mean[c]) / sqrt(variance[c] + epsilon) + beta[c];
}

// Per channel: gradBeta = sum of g, gradGamma = sum of g * xhat over the rows, with
// xhat = (x - mean) / sqrt(variance + epsilon). One work-item per channel.
__kernel void batchnorm_backward_reduce(const int rows, const int channels, const float epsilon, __global const float* g,
                                        __global const float* x, __global const float* mean, __global const float* variance,
                                        __global float* gradGamma, __global float* gradBeta) {
    const int c = get_global_id(0);
    if (c >= channels) return;
    const float m = mean[c];
    const float inverse = 1.0f / sqrt(variance[c] + epsilon);
    float sumG = 0.0f, sumGX = 0.0f;
    for (int r = 0; r < rows; ++r) {
        const long i = (long)r * channels + c;
        sumG += g[i];
        sumGX += g[i] * (x[i] - m) * inverse;
    }
    gradGamma[c] = sumGX;
    gradBeta[c] = sumG;
}

// With the batch's own statistics: gradInput = gamma * inverse / rows * (rows g - sum g - xhat sum(g xhat)).
// One work-item per element; gradGamma and gradBeta hold the two sums.
__kernel void batchnorm_backward_input(const int count, const int rows, const int channels, const float epsilon,
                                       __global const float* g, __global const float* x, __global const float* mean,
                                       __global const float* variance, __global const float* gamma,
                                       __global const float* gradGamma, __global const float* gradBeta, __global float* gradInput) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int c = i % channels;
    const float inverse = 1.0f / sqrt(variance[c] + epsilon);
    const float xhat = (x[i] - mean[c]) * inverse;
    gradInput[i] = gamma[c] * inverse / (float)rows * ((float)rows * g[i] - gradBeta[c] - xhat * gradGamma[c]);
}

// moving = momentum * moving + (1 - momentum) * value (Keras's moving mean and variance).
__kernel void moving_average(const int count, const float momentum, __global float* moving, __global const float* value) {
    const int i = get_global_id(0);
    if (i >= count) return;
    moving[i] = momentum * moving[i] + (1.0f - momentum) * value[i];
}
