// Row-wise softmax, its backward, fused sparse softmax cross-entropy, argmax and accuracy.
// One work-item per row of a rows x cols row-major matrix. Global size: (rows) rounded up.

// probabilities[r, :] = exp(z - max z) / sum exp(z - max z): stable for any finite logits.
__kernel void softmax_forward(const int rows, const int cols, __global const float* logits,
                              __global float* probabilities) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* z = logits + (long)r * cols;
    __global float* p = probabilities + (long)r * cols;
    float largest = z[0];
    for (int c = 1; c < cols; ++c) largest = fmax(largest, z[c]);
    float total = 0.0f;
    for (int c = 0; c < cols; ++c) {
        const float e = exp(z[c] - largest);   // one exp per value, kept in p until the total is known
        p[c] = e;
        total += e;
    }
    for (int c = 0; c < cols; ++c) p[c] /= total;
}

// gradLogits = p * (gradProbabilities - sum_c gradProbabilities_c p_c): the softmax Jacobian
// (diag(p) - p p^T) applied to the incoming gradient.
__kernel void softmax_backward(const int rows, const int cols, __global const float* probabilities,
                               __global const float* gradProbabilities, __global float* gradLogits) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* p = probabilities + (long)r * cols;
    __global const float* g = gradProbabilities + (long)r * cols;
    float dot = 0.0f;
    for (int c = 0; c < cols; ++c) dot = fma(g[c], p[c], dot);
    for (int c = 0; c < cols; ++c) gradLogits[(long)r * cols + c] = p[c] * (g[c] - dot);
}

// loss[r] = logsumexp(z) - z[label];  gradLogits[r, c] = scale * (softmax(z)_c - [c == label]).
// An out-of-range or non-integer label gives NaN loss and NaN gradients for its row.
__kernel void softmax_cross_entropy(const int rows, const int cols, __global const float* logits,
                                    __global const float* labels, const float scale,
                                    __global float* losses, __global float* gradLogits,
                                    const int wantGradient) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* z = logits + (long)r * cols;
    const float labelValue = labels[r];
    const int label = (int)labelValue;
    const bool valid = labelValue >= 0.0f && labelValue < (float)cols && (float)label == labelValue;
    float largest = z[0];
    for (int c = 1; c < cols; ++c) largest = fmax(largest, z[c]);
    float total = 0.0f;
    for (int c = 0; c < cols; ++c) total += exp(z[c] - largest);
    losses[r] = valid ? (log(total) + largest - z[label]) : NAN;
    if (wantGradient) {
        for (int c = 0; c < cols; ++c) {
            const float p = exp(z[c] - largest) / total;
            gradLogits[(long)r * cols + c] = valid ? scale * (p - (c == label ? 1.0f : 0.0f)) : NAN;
        }
    }
}

// indices[r] = the first column holding the row's maximum, as a float.
__kernel void argmax_rows(const int rows, const int cols, __global const float* x, __global float* indices) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* row = x + (long)r * cols;
    int best = 0;
    for (int c = 1; c < cols; ++c) if (row[c] > row[best]) best = c;
    indices[r] = (float)best;
}

// correct[r] = 1 when the row's argmax equals its label, else 0 (summed afterwards).
__kernel void correct_rows(const int rows, const int cols, __global const float* x,
                           __global const float* labels, __global float* correct) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* row = x + (long)r * cols;
    int best = 0;
    for (int c = 1; c < cols; ++c) if (row[c] > row[best]) best = c;
    correct[r] = ((float)best == labels[r]) ? 1.0f : 0.0f;
}

// The training step's whole loss head in one launch: softmax_cross_entropy for every row, and
// the batch's summed loss and number of rows whose argmax is the label added to lossTotal[0]
// and correctTotal[0] (what softmax_cross_entropy, two sums and correct_rows did in six
// launches). One work-group of TOTALS_GROUP work-items walks the rows and reduces in local
// memory, so the totals are deterministic. Global and local size: (TOTALS_GROUP).
#ifndef TOTALS_GROUP
#define TOTALS_GROUP 64
#endif
__kernel void softmax_cross_entropy_totals(const int rows, const int cols, __global const float* logits,
                                           __global const float* labels, const float scale,
                                           __global float* losses, __global float* gradLogits, const int wantGradient,
                                           __global float* lossTotal, __global float* correctTotal) {
    __local float lossSums[TOTALS_GROUP];
    __local float correctSums[TOTALS_GROUP];
    const int lid = get_local_id(0);
    float lossSum = 0.0f, correctSum = 0.0f;
    for (int r = lid; r < rows; r += TOTALS_GROUP) {
        __global const float* z = logits + (long)r * cols;
        const float labelValue = labels[r];
        const int label = (int)labelValue;
        const bool valid = labelValue >= 0.0f && labelValue < (float)cols && (float)label == labelValue;
        float largest = z[0];
        int best = 0;
        for (int c = 1; c < cols; ++c) {
            largest = fmax(largest, z[c]);
            if (z[c] > z[best]) best = c;
        }
        float total = 0.0f;
        for (int c = 0; c < cols; ++c) total += exp(z[c] - largest);
        const float loss = valid ? (log(total) + largest - z[label]) : NAN;
        losses[r] = loss;
        lossSum += loss;
        correctSum += ((float)best == labelValue) ? 1.0f : 0.0f;
        if (wantGradient) {
            for (int c = 0; c < cols; ++c) {
                const float p = exp(z[c] - largest) / total;
                gradLogits[(long)r * cols + c] = valid ? scale * (p - (c == label ? 1.0f : 0.0f)) : NAN;
            }
        }
    }
    lossSums[lid] = lossSum;
    correctSums[lid] = correctSum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = TOTALS_GROUP / 2; stride > 0; stride /= 2) {
        if (lid < stride) {
            lossSums[lid] += lossSums[lid + stride];
            correctSums[lid] += correctSums[lid + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        lossTotal[0] += lossSums[0];
        correctTotal[0] += correctSums[0];
    }
}
