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
