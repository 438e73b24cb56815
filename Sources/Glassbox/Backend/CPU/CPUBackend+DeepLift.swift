import Foundation

extension CPUBackend {
    public func deepLiftRescale(gradOutput: Tensor, preactivation: Tensor, referencePreactivation: Tensor, output: Tensor,
                                referenceOutput: Tensor, activation: Activation, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftRescale(gradOutput, preactivation, referencePreactivation, output, referenceOutput, activation, gradInput)
        let m = try host(gradOutput, "deeplift"), zx = try host(preactivation, "deeplift"), zr = try host(referencePreactivation, "deeplift")
        let yx = try host(output, "deeplift"), yr = try host(referenceOutput, "deeplift"), g = try host(gradInput, "deeplift")
        let referenceCount = referencePreactivation.elementCount
        for i in 0..<gradOutput.elementCount {
            let r = i % referenceCount
            let dz = Double(zx[i]) - Double(zr[r])
            let slope: Double
            if abs(dz) >= 1e-6 {
                slope = (Double(yx[i]) - Double(yr[r])) / dz
            } else {
                switch activation {
                case .relu: slope = zx[i] > 0 ? 1 : 0
                case .sigmoid: slope = Double(yx[i]) * (1 - Double(yx[i]))
                case .tanh: slope = 1 - Double(yx[i]) * Double(yx[i])
                case .leakyRelu: slope = zx[i] > 0 ? 1 : Double(Activation.leakyReluSlope)
                default: slope = 1
                }
            }
            g[i] = Float(Double(m[i]) * slope)
        }
    }

    public func deepLiftMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, output: Tensor, referenceOutput: Tensor,
                                geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftMaxPool(gradOutput, input, referenceInput, output, referenceOutput, g, gradInput)
        // A one-sample reference stands for itself repeated over the batch.
        func repeated(_ tensor: Tensor, like: Tensor) throws -> Tensor {
            guard tensor.elementCount != like.elementCount else { return tensor }
            let values = try download(tensor)
            return try upload((0..<like.elementCount).map { values[$0 % values.count] }, shape: like.shape)
        }
        let referenceInput = try repeated(referenceInput, like: input), referenceOutput = try repeated(referenceOutput, like: output)
        let m = try download(gradOutput), ox = try download(output), or = try download(referenceOutput)
        var towardX = [Float](repeating: 0, count: m.count), towardR = towardX
        for i in 0..<m.count {
            let c = max(ox[i], or[i])
            towardX[i] = m[i] * (c - or[i])
            towardR[i] = m[i] * (ox[i] - c)
        }
        let routedX = try makeTensor(shape: g.inputShape), routedR = try makeTensor(shape: g.inputShape)
        try maxPool2dBackward(input: input, gradOutput: try upload(towardX, shape: g.outputShape), geometry: g, into: routedX)
        try maxPool2dBackward(input: referenceInput, gradOutput: try upload(towardR, shape: g.outputShape), geometry: g, into: routedR)
        let rx = try host(routedX, "deeplift"), rr = try host(routedR, "deeplift")
        let ix = try host(input, "deeplift"), ir = try host(referenceInput, "deeplift"), out = try host(gradInput, "deeplift")
        for i in 0..<input.elementCount {
            let delta = Double(ix[i]) - Double(ir[i])
            out[i] = abs(delta) < 1e-7 ? 0 : Float((Double(rx[i]) + Double(rr[i])) / delta)
        }
    }
}
