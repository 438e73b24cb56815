// Element-wise ops over flat float arrays. Global size: (count) rounded up to the local size.

// y[r, c] = x[r, c] + bias[c] for a rows x cols row-major matrix (x and y may be the same buffer).
__kernel void bias_add(const int count, const int cols, __global const float* x,
                       __global const float* bias, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = x[i] + bias[i % cols];
}

__kernel void relu_forward(const int count, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i < count) y[i] = fmax(x[i], 0.0f);
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
