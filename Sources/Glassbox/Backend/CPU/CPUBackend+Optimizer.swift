extension CPUBackend {
    /// Keras's Adam step; see ``AdamHyperparameters/stepSize(step:)`` for the folded bias correction.
    public func adamUpdate(parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
                           step: Int, hyperparameters h: AdamHyperparameters) throws {
        try ShapeChecks.adam(parameter, gradient, firstMoment, secondMoment, step: step)
        let p = try host(parameter, "adam"), g = try host(gradient, "adam")
        let m = try host(firstMoment, "adam"), v = try host(secondMoment, "adam")
        let alpha = h.stepSize(step: step)
        let beta1 = Double(h.beta1), beta2 = Double(h.beta2), epsilon = Double(h.epsilon)
        for i in 0..<parameter.elementCount {
            let gi = Double(g[i])
            let mi = Double(m[i]) + (gi - Double(m[i])) * (1 - beta1)
            let vi = Double(v[i]) + (gi * gi - Double(v[i])) * (1 - beta2)
            m[i] = Float(mi)
            v[i] = Float(vi)
            p[i] = Float(Double(p[i]) - alpha * mi / (vi.squareRoot() + epsilon))
        }
    }

    public func sgdUpdate(parameter: Tensor, gradient: Tensor, learningRate: Float) throws {
        try ShapeChecks.same("sgd", parameter.shape, gradient)
        let p = try host(parameter, "sgd"), g = try host(gradient, "sgd")
        for i in 0..<parameter.elementCount { p[i] = Float(Double(p[i]) - Double(learningRate) * Double(g[i])) }
    }
}
