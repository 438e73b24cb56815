// In-place optimizer steps over flat parameter arrays. Global size: (count) rounded up.

// Adam as Keras applies it (Kingma & Ba 2015, Algorithm 1, with the bias corrections folded into
// the step size): alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t), computed on the host;
//   m += (g - m)(1 - beta1);  v += (g^2 - v)(1 - beta2);  p -= alpha m / (sqrt(v) + epsilon).
__kernel void adam_update(const int count, __global float* parameter, __global const float* gradient,
                          __global float* firstMoment, __global float* secondMoment,
                          const float alpha, const float beta1, const float beta2, const float epsilon) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float g = gradient[i];
    const float m = firstMoment[i] + (g - firstMoment[i]) * (1.0f - beta1);
    const float v = secondMoment[i] + (g * g - secondMoment[i]) * (1.0f - beta2);
    firstMoment[i] = m;
    secondMoment[i] = v;
    parameter[i] -= alpha * m / (sqrt(v) + epsilon);
}

// Plain stochastic gradient descent: p -= lr * g.
__kernel void sgd_update(const int count, __global float* parameter, __global const float* gradient,
                         const float learningRate) {
    const int i = get_global_id(0);
    if (i < count) parameter[i] -= learningRate * gradient[i];
}

// Multi-tensor steps: up to 8 parameter tensors in one launch (a model's whole Adam or SGD step
// in one or two launches instead of one per tensor). Tensor s holds the elements
// [end(s-1), end(s)) of the launch's range (end(-1) = 0); unused slots repeat the last end and
// get a placeholder buffer. Global size: (the last end) rounded up.
#define PICK(s, name) ((s) == 0 ? name##0 : (s) == 1 ? name##1 : (s) == 2 ? name##2 : (s) == 3 ? name##3 : \
                       (s) == 4 ? name##4 : (s) == 5 ? name##5 : (s) == 6 ? name##6 : name##7)

// The slot of element i and its offset in that slot's tensor; false past the last end.
#define SLOT_ENDS const int e0, const int e1, const int e2, const int e3, const int e4, const int e5, const int e6, const int e7
inline bool optimizer_slot(const int i, SLOT_ENDS, int* slot, int* offset) {
    const int e[8] = {e0, e1, e2, e3, e4, e5, e6, e7};
    if (i >= e[7]) return false;
    int s = 0;
    while (i >= e[s]) ++s;
    *slot = s;
    *offset = i - (s == 0 ? 0 : e[s - 1]);
    return true;
}

__kernel void adam_update_multi(SLOT_ENDS,
                                __global float* p0, __global float* p1, __global float* p2, __global float* p3,
                                __global float* p4, __global float* p5, __global float* p6, __global float* p7,
                                __global const float* g0, __global const float* g1, __global const float* g2, __global const float* g3,
                                __global const float* g4, __global const float* g5, __global const float* g6, __global const float* g7,
                                __global float* m0, __global float* m1, __global float* m2, __global float* m3,
                                __global float* m4, __global float* m5, __global float* m6, __global float* m7,
                                __global float* v0, __global float* v1, __global float* v2, __global float* v3,
                                __global float* v4, __global float* v5, __global float* v6, __global float* v7,
                                const float alpha, const float beta1, const float beta2, const float epsilon) {
    int s, k;
    if (!optimizer_slot(get_global_id(0), e0, e1, e2, e3, e4, e5, e6, e7, &s, &k)) return;
    __global float* parameter = PICK(s, p);
    __global const float* gradient = PICK(s, g);
    __global float* firstMoment = PICK(s, m);
    __global float* secondMoment = PICK(s, v);
    const float g = gradient[k];
    const float m = firstMoment[k] + (g - firstMoment[k]) * (1.0f - beta1);
    const float v = secondMoment[k] + (g * g - secondMoment[k]) * (1.0f - beta2);
    firstMoment[k] = m;
    secondMoment[k] = v;
    parameter[k] -= alpha * m / (sqrt(v) + epsilon);
}

__kernel void sgd_update_multi(SLOT_ENDS,
                               __global float* p0, __global float* p1, __global float* p2, __global float* p3,
                               __global float* p4, __global float* p5, __global float* p6, __global float* p7,
                               __global const float* g0, __global const float* g1, __global const float* g2, __global const float* g3,
                               __global const float* g4, __global const float* g5, __global const float* g6, __global const float* g7,
                               const float learningRate) {
    int s, k;
    if (!optimizer_slot(get_global_id(0), e0, e1, e2, e3, e4, e5, e6, e7, &s, &k)) return;
    PICK(s, p)[k] -= learningRate * PICK(s, g)[k];
}
