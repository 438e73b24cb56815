/// Adding and concatenating branches (`Kernels/merge.cl`).
extension OpenCLBackend {
    public func add(_ a: Tensor, _ b: Tensor, into c: Tensor) throws {
        try ShapeChecks.add(a, b, c)
        try launch1D("add_tensors", file: "merge", count: a.elementCount,
                     [.int(a.elementCount), .buffer(try buffer(a, "add")), .buffer(try buffer(b, "add")), .buffer(try buffer(c, "add"))])
    }

    public func copyBlock(_ block: Tensor, _ whole: Tensor, outer: Int, blockAxis: Int, wholeAxis: Int, inner: Int, offset: Int,
                          toWhole: Bool) throws {
        try ShapeChecks.copyBlock(block, whole, outer: outer, blockAxis: blockAxis, wholeAxis: wholeAxis, inner: inner, offset: offset)
        try launch1D("copy_block", file: "merge", count: block.elementCount,
                     [.int(block.elementCount), .int(blockAxis), .int(wholeAxis), .int(inner), .int(offset), .int(toWhole ? 1 : 0),
                      .buffer(try buffer(block, "copy block")), .buffer(try buffer(whole, "copy block"))])
    }
}
