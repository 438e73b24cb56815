// Perturbation expansion for explainers: coalitions arrive as bit masks, one 64-bit word per
// sample (bit s set = segment s is present), and become model inputs on the device.
//   output[i, p, c] = (masks[i] >> segments[p]) & 1 ? input[p, c] : baseline[p, c]
// for sample i, pixel p and channel c (every channel of a pixel shares its segment).
// Global size: (sampleSize, count); dimension 0 walks one sample's contiguous elements.
__kernel void expand_masks(const int count, const int sampleSize, const int channels,
                           __global const ulong* masks, __global const float* input, __global const float* baseline,
                           __global const int* segments, __global float* output) {
    const int e = get_global_id(0);
    const int i = get_global_id(1);
    if (e >= sampleSize || i >= count) return;
    const int segment = segments[e / channels];
    const bool present = (masks[i] >> segment) & 1UL;
    output[(long)i * sampleSize + e] = present ? input[e] : baseline[e];
}
