// Merging branches of a graph model: Keras's Add and Concatenate, and the gradient sums where a
// layer's output feeds several layers.

// c[i] = a[i] + b[i]; c may be a or b (each element is read before it is written).
__kernel void add_tensors(const int count, __global const float* a, __global const float* b, __global float* c) {
    const int i = get_global_id(0);
    if (i >= count) return;
    c[i] = a[i] + b[i];
}

// A block [outer, blockAxis, inner] and the whole [outer, wholeAxis, inner] that holds it at
// offset along the middle axis: Concatenate writes each input's block into the whole
// (toWhole = 1); its backward reads each input's gradient back out of the whole (toWhole = 0).
// One work-item per block element: global [count].
__kernel void copy_block(const int count, const int blockAxis, const int wholeAxis, const int inner, const int offset,
                         const int toWhole, __global float* block, __global float* whole) {
    const int index = get_global_id(0);
    if (index >= count) return;
    const int i = index % inner;
    const int a = (index / inner) % blockAxis;
    const int o = index / (inner * blockAxis);
    const long w = ((long)o * wholeAxis + offset + a) * inner + i;
    if (toWhole) whole[w] = block[index]; else block[index] = whole[w];
}
