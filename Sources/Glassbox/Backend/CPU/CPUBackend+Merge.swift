/// Adding and concatenating branches (the reference twins of `Kernels/merge.cl`).
extension CPUBackend {
    public func add(_ a: Tensor, _ b: Tensor, into c: Tensor) throws {
        try ShapeChecks.add(a, b, c)
        let x = try host(a, "add"), y = try host(b, "add"), z = try host(c, "add")
        for i in 0..<a.elementCount { z[i] = x[i] + y[i] }
    }

    public func copyBlock(_ block: Tensor, _ whole: Tensor, outer: Int, blockAxis: Int, wholeAxis: Int, inner: Int, offset: Int,
                          toWhole: Bool) throws {
        try ShapeChecks.copyBlock(block, whole, outer: outer, blockAxis: blockAxis, wholeAxis: wholeAxis, inner: inner, offset: offset)
        let b = try host(block, "copy block"), w = try host(whole, "copy block")
        for o in 0..<outer {
            for a in 0..<blockAxis {
                for i in 0..<inner {
                    let blockIndex = (o * blockAxis + a) * inner + i, wholeIndex = (o * wholeAxis + offset + a) * inner + i
                    if toWhole { w[wholeIndex] = b[blockIndex] } else { b[blockIndex] = w[wholeIndex] }
                }
            }
        }
    }
}
