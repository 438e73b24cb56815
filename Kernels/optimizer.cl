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
