/// A 2-D convolution layer, as Keras's `Conv2D`: NHWC input, kernel `[kh, kw, in, filters]`, a
/// bias per filter, then an activation.
public struct Conv2D: Layer {
    public let filters: Int
    public let kernelSize: (height: Int, width: Int)
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public let activation: Activation
    public var typeName: String { "Conv2D" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for sizes below 1.
    public init(filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                activation: Activation = .linear) throws {
        guard filters >= 1, kernelSize.0 >= 1, kernelSize.1 >= 1, strides.0 >= 1, strides.1 >= 1 else {
            throw GlassboxError.invalidArgument(operation: "Conv2D",
                reason: "filters \(filters), kernel size \(kernelSize) and strides \(strides) must be at least 1")
        }
        self.filters = filters
        self.kernelSize = (kernelSize.0, kernelSize.1)
        self.strides = (strides.0, strides.1)
        self.padding = padding
        self.activation = activation
    }

    /// A square kernel: `Conv2D(filters: 32, kernelSize: 3, activation: .relu)`.
    public init(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid, activation: Activation = .linear) throws {
        try self.init(filters: filters, kernelSize: (kernelSize, kernelSize), strides: (stride, stride), padding: padding, activation: activation)
    }

    func geometry(_ inputShape: [Int], batch: Int) throws -> Conv2DGeometry {
        try requireRank("Conv2D", inputShape, 3, "[height, width, channels]")
        return try Conv2DGeometry(inputShape: try Shape([batch] + inputShape),
                                  kernelShape: try Shape([kernelSize.height, kernelSize.width, inputShape[2], filters]),
                                  strideHeight: strides.height, strideWidth: strides.width, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        Array(try geometry(inputShape, batch: 1).outputShape.dimensions.dropFirst())
    }

    public func parameterShapes(for inputShape: [Int]) throws -> [Shape] {
        let g = try geometry(inputShape, batch: 1)
        return [g.kernelShape, [filters]]
    }

    public func initialParameters(for inputShape: [Int], generator: inout SeededGenerator) throws -> [[Float]] {
        let g = try geometry(inputShape, batch: 1)
        let receptive = kernelSize.height * kernelSize.width
        return [glorotUniform(count: g.kernelShape.elementCount, fanIn: receptive * g.inputChannels,
                              fanOut: receptive * filters, generator: &generator),
                [Float](repeating: 0, count: filters)]
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.filters = filters
        c.kernelSize = [kernelSize.height, kernelSize.width]
        c.strides = [strides.height, strides.width]
        c.padding = padding.rawValue
        c.activation = activation.rawValue
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let g = try geometry(inputShape, batch: batchSize)
        return Runner(backend: backend, geometry: g, output: try backend.makeTensor(shape: g.outputShape),
                      activation: isOutputLayer && activation == .softmax ? .linear : activation)
    }

    final class Runner: PreactivationRule, FusingRunner, ActivationSplitRunner {
        let backend: any Backend
        let geometry: Conv2DGeometry
        let output: Tensor
        let activation: Activation
        let preactivation = PreactivationStore()
        private var gradInput: Tensor?

        init(backend: any Backend, geometry: Conv2DGeometry, output: Tensor, activation: Activation) {
            self.backend = backend; self.geometry = geometry; self.output = output; self.activation = activation
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            let z = try preactivation.target(for: output, activation: activation, backend: backend)
            if z === output && activation == .relu {
                // Nothing keeps the pre-activation: the relu runs in the convolution's kernel.
                try backend.conv2dPoolForward(input: input, kernel: parameters[0], bias: parameters[1], geometry: geometry, pool: nil,
                                              activation: activation, into: output)
                return output
            }
            try backend.conv2dForward(input: input, kernel: parameters[0], bias: parameters[1], geometry: geometry, into: z)
            try activation.apply(backend, z, into: output)
            return output
        }

        func prepareForDeepLift() throws { preactivation.keeps = true }

        /// Convolution, bias, activation and a following `valid` max pooling in one kernel
        /// (``Backend/conv2dPoolForward(input:kernel:bias:geometry:pool:activation:into:)``).
        func fusedForward(_ input: Tensor, parameters: [Tensor], next: any LayerRunner) throws -> Tensor? {
            guard let pool = next as? Pool2DRunner, pool.kind == .max, pool.geometry.padding == .valid, activation != .softmax else { return nil }
            try backend.conv2dPoolForward(input: input, kernel: parameters[0], bias: parameters[1], geometry: geometry, pool: pool.geometry,
                                          activation: activation, into: pool.output)
            return pool.output
        }

        /// Convolution, bias, activation and a following max pooling whose windows tile the
        /// convolution's output, in one op that keeps the activations for the backward passes
        /// (``Backend/conv2dActivationPoolForward(input:kernel:bias:geometry:pool:activation:activations:into:)``).
        func fusedTrainingForward(_ input: Tensor, parameters: [Tensor], next: any LayerRunner) throws -> (own: Tensor, next: Tensor)? {
            guard !preactivation.keeps, let pool = next as? Pool2DRunner, pool.kind == .max, pool.geometry.padding == .valid,
                  pool.geometry.windowsTileInput,
                  activation != .softmax else { return nil }
            try backend.conv2dActivationPoolForward(input: input, kernel: parameters[0], bias: parameters[1], geometry: geometry,
                                                    pool: pool.geometry, activation: activation, activations: output, into: pool.output)
            return (output, pool.output)
        }

        /// The rescale rule through the activation, then the linear rule (the input gradient).
        func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                              referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor {
            try preactivation.rescale(m, output: output, reference: (reference as! Runner).preactivation, referenceOutput: referenceOutput,
                                      activation: activation, backend: backend)
            return try deepLiftLinearBackward(m, parameters: parameters)
        }

        /// Conv2D + relu + max pooling: ``Backend/deepLiftConvReluMaxPool(gradOutput:input:referenceInput:preactivation:referencePreactivation:output:referenceOutput:pool:kernel:convolution:scratch:into:)``.
        func deepLiftBackward(_ m: Tensor, through pool: Pool2DRunner, poolInput: Tensor, poolOutput: Tensor, referencePoolInput: Tensor,
                              referencePoolOutput: Tensor, reference: any PreactivationRule, parameters: [Tensor]) throws -> Tensor? {
            guard pool.kind == .max, activation == .relu, let z = preactivation.tensor, let zr = reference.preactivation.tensor else { return nil }
            if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
            // The reference side keeps its own shape when it is one sample of the batch.
            try backend.deepLiftConvReluMaxPool(gradOutput: m, input: poolInput, referenceInput: referencePoolInput,
                                                preactivation: try z.reshaped(poolInput.shape),
                                                referencePreactivation: try zr.reshaped(referencePoolInput.shape), output: poolOutput,
                                                referenceOutput: referencePoolOutput, pool: pool.geometry, kernel: parameters[0],
                                                convolution: geometry, scratch: try pool.gradientBuffer(), into: gradInput!)
            return gradInput!
        }

        func deepLiftLinearBackward(_ m: Tensor, parameters: [Tensor]) throws -> Tensor {
            if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
            try backend.conv2dBackwardInput(gradOutput: m, kernel: parameters[0], geometry: geometry, into: gradInput!)
            return gradInput!
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            try activation.backward(backend, output: output, gradient: gradOutput)
            return try backward(input: input, gradPreactivation: gradOutput, parameters: parameters, parameterGradients: parameterGradients,
                                needInputGradient: needInputGradient)
        }

        /// Conv2D + relu + max pooling in a first layer: ``Backend/conv2dKernelGradientThroughMaxPoolRelu(input:activations:gradOutput:geometry:pool:scratch:kernelGradient:biasGradient:)``.
        func parameterGradients(through pool: Pool2DRunner, input: Tensor, activations: Tensor, gradPooled: Tensor,
                                parameterGradients: [Tensor]) throws -> Bool {
            guard pool.kind == .max, activation == .relu, pool.geometry.inputShape == geometry.outputShape else { return false }
            try backend.conv2dKernelGradientThroughMaxPoolRelu(input: input, activations: activations, gradOutput: gradPooled,
                                                               geometry: geometry, pool: pool.geometry, scratch: try pool.gradientBuffer(),
                                                               kernelGradient: parameterGradients[0], biasGradient: parameterGradients[1])
            return true
        }

        func backward(input: Tensor, gradPreactivation: Tensor, parameters: [Tensor], parameterGradients: [Tensor],
                      needInputGradient: Bool) throws -> Tensor? {
            try backend.conv2dBackwardKernel(input: input, gradOutput: gradPreactivation, geometry: geometry,
                                             kernelGradient: parameterGradients[0], biasGradient: parameterGradients[1])
            guard needInputGradient else { return nil }
            if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
            try backend.conv2dBackwardInput(gradOutput: gradPreactivation, kernel: parameters[0], geometry: geometry, into: gradInput!)
            return gradInput
        }
    }
}

extension Conv2D: LayerType {
    public static var configurationTypes: [String] { ["Conv2D"] }
    public static var kerasClassNames: [String] { ["Conv2D"] }
    public var defaultNameStem: String { "conv2d" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer {
        try Conv2D(filters: c.need(c.filters, "filters"), kernelSize: c.pair(c.kernelSize, "kernelSize"),
                   strides: c.pair(c.strides ?? [1, 1], "strides"), padding: c.paddingValue(), activation: c.activationValue())
    }

    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        try c.requireChannelsLast()
        try c.requireBias()
        guard try c.pair("dilation_rate", default: (1, 1)) == (1, 1) else { throw c.refuse("option dilation_rate other than 1 is not supported") }
        guard (c["groups"] as? Int ?? 1) == 1 else { throw c.refuse("option groups other than 1 is not supported") }
        return try Conv2D(filters: c.integer("filters"), kernelSize: c.pair("kernel_size"), strides: c.pair("strides", default: (1, 1)),
                          padding: c.padding(), activation: c.activation())
    }
}
