extension CPUBackend {
    public func reduceAxis(_ x: Tensor, outer: Int, axis: Int, inner: Int, mean: Bool, into y: Tensor) throws {
        try ShapeChecks.reduceAxis(x, outer: outer, axis: axis, inner: inner, y)
        let source = try host(x, "reduce axis"), target = try host(y, "reduce axis")
        for o in 0..<outer {
            for i in 0..<inner {
                var total = 0.0
                for a in 0..<axis { total += Double(source[(o * axis + a) * inner + i]) }
                target[o * inner + i] = Float(mean ? total / Double(axis) : total)
            }
        }
    }

    public func reduceAxisBackward(gradOutput: Tensor, outer: Int, axis: Int, inner: Int, mean: Bool, into gradInput: Tensor) throws {
        try ShapeChecks.reduceAxis(gradInput, outer: outer, axis: axis, inner: inner, gradOutput)
        let g = try host(gradOutput, "reduce axis backward"), gi = try host(gradInput, "reduce axis backward")
        let scale = mean ? 1 / Double(axis) : 1
        for o in 0..<outer {
            for a in 0..<axis {
                for i in 0..<inner { gi[(o * axis + a) * inner + i] = Float(Double(g[o * inner + i]) * scale) }
            }
        }
    }
}
