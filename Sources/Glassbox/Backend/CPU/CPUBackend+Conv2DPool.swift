extension CPUBackend {
    /// The three steps one after the other, exactly as written: convolution, activation, pooling.
    public func conv2dPoolForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry: Conv2DGeometry, pool: Pool2DGeometry?,
                                  activation: Activation, into output: Tensor) throws {
        try ShapeChecks.conv2dOperands(input, kernel, bias, geometry)
        try ShapeChecks.conv2dPool(geometry, pool, activation, output)
        let convolved = pool == nil ? output : try makeTensor(shape: geometry.outputShape)
        try conv2dForward(input: input, kernel: kernel, bias: bias, geometry: geometry, into: convolved)
        try activation.apply(self, convolved)
        if let pool { try maxPool2dForward(input: convolved, geometry: pool, into: output) }
    }
}
