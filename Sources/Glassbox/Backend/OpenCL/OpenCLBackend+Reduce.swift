/// Reductions over one axis (`Kernels/reduce.cl`).
extension OpenCLBackend {
    public func reduceAxis(_ x: Tensor, outer: Int, axis: Int, inner: Int, mean: Bool, into y: Tensor) throws {
        try ShapeChecks.reduceAxis(x, outer: outer, axis: axis, inner: inner, y)
        try launch("reduce_axis", file: "reduce", global: [inner, outer], local: [min(inner, tuning.elementwiseGroup), 1],
                   [.int(outer), .int(axis), .int(inner), .float(mean ? 1 / Float(axis) : 1),
                    .buffer(try buffer(x, "reduce axis")), .buffer(try buffer(y, "reduce axis"))])
    }

    public func reduceAxisBackward(gradOutput: Tensor, outer: Int, axis: Int, inner: Int, mean: Bool, into gradInput: Tensor) throws {
        try ShapeChecks.reduceAxis(gradInput, outer: outer, axis: axis, inner: inner, gradOutput)
        try launch1D("reduce_axis_backward", file: "reduce", count: gradInput.elementCount,
                     [.int(gradInput.elementCount), .int(axis), .int(inner), .float(mean ? 1 / Float(axis) : 1),
                      .buffer(try buffer(gradOutput, "reduce axis backward")), .buffer(try buffer(gradInput, "reduce axis backward"))])
    }
}
