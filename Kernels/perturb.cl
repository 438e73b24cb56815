// Perturbation expansion for explainers: coalitions arrive as bit masks, one 64-bit word per
// sample (bit s set = segment s is present), and become model inputs on the device. Absent
// segments take their values from each of `references` baseline rows in turn (one row: a
// baseline image; many: the background rows of interventional SHAP), mask-major:
//   output[i * references + k, p, c] = (masks[i] >> segments[p]) & 1 ? input[p, c] : baseline[k, p, c]
// for mask i, reference k, pixel p and channel c (every channel of a pixel shares its segment).
// Global size: (sampleSize, count * references); dimension 0 walks one sample's contiguous elements.
__kernel void expand_masks(const int count, const int sampleSize, const int channels, const int references,
                           __global const ulong* masks, __global const float* input, __global const float* baseline,
                           __global const int* segments, __global float* output) {
    const int e = get_global_id(0);
    const int row = get_global_id(1);
    if (e >= sampleSize || row >= count * references) return;
    const int i = row / references, k = row - i * references;
    const int segment = segments[e / channels];
    const bool present = (masks[i] >> segment) & 1UL;
    output[(long)row * sampleSize + e] = present ? input[e] : baseline[(long)k * sampleSize + e];
}

// The segment-table sweep: a model whose first Dense layer follows a convolution and a pooling
// sees each pooled position through a window that covers only a few segments, so the Dense
// layer's pre-activation for any coalition is a sum of precomputed rows, one per group of
// positions with the same segments:
//   output[i, u] = bias[u] + sum_g table[offset[g] + code_g(masks[i]), u]
// where code_g packs the coalition's bits of group g's segments (segments[g * 8 + t] for
// t < sizes[g]) into an integer, bit t for segment t.
// One work-item sums SWEEP_VECTORS float16 vectors of units (the last block of a row may have
// fewer), so each group's code is computed once per SWEEP_VECTORS * 16 units.
// Global size: (ceil(units / (16 * SWEEP_VECTORS)), count). Needs units % 16 == 0.
#ifndef SWEEP_VECTORS
#define SWEEP_VECTORS 4
#endif
__kernel void segment_table_sweep(const int count, const int units, const int groups,
                                  __global const ulong* masks, __global const float* table,
                                  __global const int* offsets, __global const int* sizes, __global const int* segments,
                                  __global const float* bias, __global float* output) {
    const int u0 = get_global_id(0) * 16 * SWEEP_VECTORS;
    const int i = get_global_id(1);
    if (u0 >= units || i >= count) return;
    const int vectors = min(SWEEP_VECTORS, (units - u0) / 16);
    const ulong mask = masks[i];
    float16 acc[SWEEP_VECTORS];
    #pragma unroll
    for (int v = 0; v < SWEEP_VECTORS; ++v) acc[v] = v < vectors ? vload16(v, bias + u0) : (float16)(0.0f);
    for (int g = 0; g < groups; ++g) {
        int code = 0;
        const int size = sizes[g];
        for (int t = 0; t < size; ++t) code |= (int)((mask >> segments[g * 8 + t]) & 1UL) << t;
        __global const float* row = table + (long)(offsets[g] + code) * units + u0;
        #pragma unroll
        for (int v = 0; v < SWEEP_VECTORS; ++v) if (v < vectors) acc[v] += vload16(v, row);
    }
    #pragma unroll
    for (int v = 0; v < SWEEP_VECTORS; ++v) if (v < vectors) vstore16(acc[v], v, output + (long)i * units + u0);
}

// The segment table's parts (SegmentTable's build, before any sweep): part k of group g reads the
// pooled features of image img (one of the 2^colours images that switch the segments' colours)
// at each of g's positions and sums the first Dense layer's weight rows they scale:
//   parts[k, u] = sum over p in positions[starts[g]..<starts[g+1]], c < channels of
//                 features[img, p * channels + c] * weights[p * channels + c, u]
// with (g, img) = partList[2k], partList[2k + 1]. One work-item computes SWEEP_VECTORS float16
// vectors of units of one part (the last block of a part may have fewer), so each feature is
// loaded once per SWEEP_VECTORS * 16 units.
// Global size: (ceil(units / (16 * SWEEP_VECTORS)), count). Needs units % 16 == 0.
__kernel void segment_table_parts(const int count, const int units, const int channels, const int featureCount,
                                  __global const float* features, __global const float* weights,
                                  __global const int* partList, __global const int* starts,
                                  __global const int* positions, __global float* parts) {
    const int u0 = get_global_id(0) * 16 * SWEEP_VECTORS;
    const int k = get_global_id(1);
    if (u0 >= units || k >= count) return;
    const int vectors = min(SWEEP_VECTORS, (units - u0) / 16);
    const int g = partList[2 * k];
    __global const float* image = features + (long)partList[2 * k + 1] * featureCount;
    float16 acc[SWEEP_VECTORS];
    #pragma unroll
    for (int v = 0; v < SWEEP_VECTORS; ++v) acc[v] = (float16)(0.0f);
    for (int i = starts[g]; i < starts[g + 1]; ++i) {
        const int first = positions[i] * channels;
        for (int c = 0; c < channels; ++c) {
            const float x = image[first + c];
            __global const float* row = weights + (long)(first + c) * units + u0;
            #pragma unroll
            for (int v = 0; v < SWEEP_VECTORS; ++v) if (v < vectors) acc[v] += x * vload16(v, row);
        }
    }
    #pragma unroll
    for (int v = 0; v < SWEEP_VECTORS; ++v) if (v < vectors) vstore16(acc[v], v, parts + (long)k * units + u0);
}

// The segment table's rows from its parts: row r = sum of parts rowParts[rowStarts[r]..<rowStarts[r+1]]
// (a group folded into a larger group that sees all its segments adds its part to each of the
// larger group's rows, so a sweep reads one row per larger group).
// Global size: (units / 16, rows). Needs units % 16 == 0.
__kernel void segment_table_fold(const int rows, const int units, __global const int* rowStarts,
                                 __global const int* rowParts, __global const float* parts, __global float* table) {
    const int u = get_global_id(0) * 16;
    const int r = get_global_id(1);
    if (u >= units || r >= rows) return;
    float16 acc = (float16)(0.0f);
    for (int i = rowStarts[r]; i < rowStarts[r + 1]; ++i) acc += vload16(0, parts + (long)rowParts[i] * units + u);
    vstore16(acc, 0, table + (long)r * units + u);
}
