// In-place optimizer steps over flat parameter arrays. Global size: (count) rounded up.

// Adam as Keras applies it (Kingma & Ba 2015, Algorithm 1, with the bias corrections folded into
// the step size): alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t), computed on the host;
//   m += (g - m)(1 - beta1);  v += (g^2 - v)(1 - beta2);  p -= alpha m / (sqrt(v) + epsilon).
// Element i of one tensor's Adam step (used by adam_update and adam_update_multi).
inline void adam_element(const int i, __global float* parameter, __global const float* gradient,
                         __global float* firstMoment, __global float* secondMoment,
                         const float alpha, const float beta1, const float beta2, const float epsilon) {
    const float g = gradient[i];
    const float m = firstMoment[i] + (g - firstMoment[i]) * (1.0f - beta1);
    const float v = secondMoment[i] + (g * g - secondMoment[i]) * (1.0f - beta2);
    firstMoment[i] = m;
    secondMoment[i] = v;
    parameter[i] -= alpha * m / (sqrt(v) + epsilon);
}

__kernel void adam_update(const int count, __global float* parameter, __global const float* gradient,
                          __global float* firstMoment, __global float* secondMoment,
                          const float alpha, const float beta1, const float beta2, const float epsilon) {
    const int i = get_global_id(0);
    if (i < count) adam_element(i, parameter, gradient, firstMoment, secondMoment, alpha, beta1, beta2, epsilon);
}

// Plain stochastic gradient descent: p -= lr * g.
__kernel void sgd_update(const int count, __global float* parameter, __global const float* gradient,
                         const float learningRate) {
    const int i = get_global_id(0);
    if (i < count) parameter[i] -= learningRate * gradient[i];
}

// Multi-tensor steps: up to 8 parameter tensors in one launch (a model's whole Adam or SGD step
// in one or two launches instead of one per tensor). Work-item i updates element i of every
// tensor that has one: eight fixed statements, each guarded by its tensor's count, so each
// statement's pointers are fixed and the compiler vectorises across work-items as in the
// one-tensor kernels (a search for the tensor of element i, or pointers picked at run time,
// ran 10x slower on PoCL). Unused slots have count 0 and a placeholder buffer. Global size:
// (the largest count) rounded up.
#define SLOT_COUNTS const int n0, const int n1, const int n2, const int n3, const int n4, const int n5, const int n6, const int n7

#define ADAM_SLOT(s) if (i < n##s) adam_element(i, p##s, q##s, m##s, v##s, alpha, beta1, beta2, epsilon);
__kernel void adam_update_multi(SLOT_COUNTS,
                                __global float* p0, __global float* p1, __global float* p2, __global float* p3,
                                __global float* p4, __global float* p5, __global float* p6, __global float* p7,
                                __global const float* q0, __global const float* q1, __global const float* q2, __global const float* q3,
                                __global const float* q4, __global const float* q5, __global const float* q6, __global const float* q7,
                                __global float* m0, __global float* m1, __global float* m2, __global float* m3,
                                __global float* m4, __global float* m5, __global float* m6, __global float* m7,
                                __global float* v0, __global float* v1, __global float* v2, __global float* v3,
                                __global float* v4, __global float* v5, __global float* v6, __global float* v7,
                                const float alpha, const float beta1, const float beta2, const float epsilon) {
    const int i = get_global_id(0);
    ADAM_SLOT(0) ADAM_SLOT(1) ADAM_SLOT(2) ADAM_SLOT(3) ADAM_SLOT(4) ADAM_SLOT(5) ADAM_SLOT(6) ADAM_SLOT(7)
}

#define SGD_SLOT(s) if (i < n##s) p##s[i] -= learningRate * q##s[i];
__kernel void sgd_update_multi(SLOT_COUNTS,
                               __global float* p0, __global float* p1, __global float* p2, __global float* p3,
                               __global float* p4, __global float* p5, __global float* p6, __global float* p7,
                               __global const float* q0, __global const float* q1, __global const float* q2, __global const float* q3,
                               __global const float* q4, __global const float* q5, __global const float* q6, __global const float* q7,
                               const float learningRate) {
    const int i = get_global_id(0);
    SGD_SLOT(0) SGD_SLOT(1) SGD_SLOT(2) SGD_SLOT(3) SGD_SLOT(4) SGD_SLOT(5) SGD_SLOT(6) SGD_SLOT(7)
}
