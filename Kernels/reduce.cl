// Sum of a flat array in two stages: each work-item sums one chunk with Kahan compensation, then
// one work-item sums the partials. Global size of the first stage: (chunks) rounded up.

__kernel void sum_partial(const int count, const int chunk, __global const float* x, __global float* partials,
                          const int chunks) {
    const int i = get_global_id(0);
    if (i >= chunks) return;
    const int first = i * chunk;
    const int last = min(first + chunk, count);
    float total = 0.0f;
    float compensation = 0.0f;
    for (int j = first; j < last; ++j) {
        const float y = x[j] - compensation;
        const float t = total + y;
        compensation = (t - total) - y;
        total = t;
    }
    partials[i] = total;
}

// result[0] = sum of partials, plus result[0]'s old value when `accumulate` is set.
__kernel void sum_final(const int chunks, __global const float* partials, __global float* result, const int accumulate) {
    if (get_global_id(0) != 0) return;
    float total = 0.0f;
    float compensation = 0.0f;
    for (int j = 0; j < chunks; ++j) {
        const float y = partials[j] - compensation;
        const float t = total + y;
        compensation = (t - total) - y;
        total = t;
    }
    result[0] = accumulate ? result[0] + total : total;
}

// Sum or mean over one axis of a tensor viewed as [outer, axis, inner] (row-major), and its
// gradient. Keras's reduce_sum/reduce_mean over one axis of a sample, e.g. axis 1 of
// (batch, 28, 28, 128): outer = batch, axis = 28, inner = 28 * 128.

// y[o, i] = scale * sum_a x[o, a, i]   (scale 1 for a sum, 1/axis for a mean)
// One work-item per output value: global [inner, outer]; consecutive items read consecutive
// addresses of each input row, so the loads coalesce.
__kernel void reduce_axis(const int outer, const int axis, const int inner, const float scale,
                          __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    const int o = get_global_id(1);
    if (i >= inner || o >= outer) return;
    __global const float* p = x + (long)o * axis * inner + i;
    float total = 0.0f;
    for (int a = 0; a < axis; ++a) total += p[(long)a * inner];
    y[(long)o * inner + i] = total * scale;
}

// gradInput[o, a, i] = scale * gradOutput[o, i]: one work-item per input value, global [count].
__kernel void reduce_axis_backward(const int count, const int axis, const int inner, const float scale,
                                   __global const float* gradOutput, __global float* gradInput) {
    const int index = get_global_id(0);
    if (index >= count) return;
    const int o = index / (axis * inner);
    const int i = index % inner;
    gradInput[index] = gradOutput[(long)o * inner + i] * scale;
}
