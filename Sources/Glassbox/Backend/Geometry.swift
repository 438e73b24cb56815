/// How a convolution treats the border, with Keras's meaning.
public enum Padding: String, Sendable, CaseIterable {
    /// No padding: only windows that fit inside the input; `out = (in - k) / stride + 1`.
    case valid
    /// Zero padding so that `out = ceil(in / stride)`; the extra row/column goes at the bottom/right,
    /// as TensorFlow pads.
    case same
}

/// The sizes of one 2-D convolution, NHWC input and HWIO kernel, checked once and shared by both
/// backends so they agree on every index.
public struct Conv2DGeometry: Equatable, Sendable {
    public let batch, inputHeight, inputWidth, inputChannels: Int
    public let kernelHeight, kernelWidth, outputChannels: Int
    public let strideHeight, strideWidth: Int
    public let padding: Padding
    public let outputHeight, outputWidth: Int
    /// Zero rows above and columns left of the input (TensorFlow's split of `same` padding).
    public let padTop, padLeft: Int

    /// - Parameters:
    ///   - inputShape: `[N, H, W, CI]`.
    ///   - kernelShape: `[KH, KW, CI, CO]`.
    ///   - strideHeight: rows between windows.
    ///   - strideWidth: columns between windows.
    ///   - padding: `valid` (no padding) or `same` (output size `ceil(input / stride)`).
    /// - Throws: ``GlassboxError`` naming both shapes when they do not fit, or a stride below 1.
    public init(inputShape: Shape, kernelShape: Shape, strideHeight: Int = 1, strideWidth: Int = 1,
                padding: Padding = .valid) throws {
        guard inputShape.rank == 4 else {
            throw GlassboxError.shapeMismatch(operation: "conv2d input", expected: "[N, H, W, C] (rank 4)", actual: inputShape)
        }
        guard kernelShape.rank == 4 else {
            throw GlassboxError.shapeMismatch(operation: "conv2d kernel", expected: "[KH, KW, CI, CO] (rank 4)", actual: kernelShape)
        }
        guard kernelShape[2] == inputShape[3] else {
            throw GlassboxError.shapeMismatch(operation: "conv2d kernel",
                expected: "input channels \(inputShape[3]) in dimension 2 (input \(inputShape))", actual: kernelShape)
        }
        guard strideHeight >= 1, strideWidth >= 1, strideHeight <= Self.largestSide, strideWidth <= Self.largestSide else {
            throw GlassboxError.invalidArgument(operation: "conv2d",
                reason: "stride (\(strideHeight), \(strideWidth)) must be between 1 and \(Self.largestSide)")
        }
        guard kernelShape[0] <= Self.largestSide, kernelShape[1] <= Self.largestSide,
              inputShape[1] <= Self.largestSide, inputShape[2] <= Self.largestSide else {
            throw GlassboxError.invalidArgument(operation: "conv2d",
                reason: "image \(inputShape) and kernel \(kernelShape) sides must be at most \(Self.largestSide)")
        }
        batch = inputShape[0]; inputHeight = inputShape[1]; inputWidth = inputShape[2]; inputChannels = inputShape[3]
        kernelHeight = kernelShape[0]; kernelWidth = kernelShape[1]; outputChannels = kernelShape[3]
        self.strideHeight = strideHeight; self.strideWidth = strideWidth; self.padding = padding
        switch padding {
        case .valid:
            guard inputHeight >= kernelHeight, inputWidth >= kernelWidth else {
                throw GlassboxError.shapeMismatch(operation: "conv2d (valid padding)",
                    expected: "input at least \(kernelHeight)x\(kernelWidth) for kernel \(kernelShape)", actual: inputShape)
            }
            outputHeight = (inputHeight - kernelHeight) / strideHeight + 1
            outputWidth = (inputWidth - kernelWidth) / strideWidth + 1
            padTop = 0; padLeft = 0
        case .same:
            outputHeight = inputHeight / strideHeight + (inputHeight % strideHeight == 0 ? 0 : 1)
            outputWidth = inputWidth / strideWidth + (inputWidth % strideWidth == 0 ? 0 : 1)
            padTop = max((outputHeight - 1) * strideHeight + kernelHeight - inputHeight, 0) / 2
            padLeft = max((outputWidth - 1) * strideWidth + kernelWidth - inputWidth, 0) / 2
        }
        // Every shape the convolution touches must be a valid Shape (at most 2^31 - 1 elements),
        // checked here so that the shape properties below never fail.
        self.inputShape = inputShape
        self.kernelShape = try Shape([kernelHeight, kernelWidth, inputChannels, outputChannels])
        self.outputShape = try Shape([batch, outputHeight, outputWidth, outputChannels])
    }

    /// The largest image side, kernel side or stride accepted (2^20), so that index arithmetic
    /// stays far from overflow.
    public static let largestSide = 1 << 20

    public let inputShape: Shape
    public let kernelShape: Shape
    public let outputShape: Shape

    /// Multiply-adds of the forward pass, times two: the FLOP count for GFLOP/s.
    public var forwardFLOPs: Double {
        2 * Double(batch * outputHeight * outputWidth * outputChannels * kernelHeight * kernelWidth * inputChannels)
    }
}

/// The sizes of one 2-D max pooling with `valid` windows, NHWC.
public struct Pool2DGeometry: Equatable, Sendable {
    public let batch, inputHeight, inputWidth, channels: Int
    public let poolHeight, poolWidth, strideHeight, strideWidth: Int
    public let outputHeight, outputWidth: Int

    /// - Parameters:
    ///   - inputShape: `[N, H, W, C]`.
    ///   - poolHeight: window rows.
    ///   - poolWidth: window columns.
    ///   - strideHeight: rows between windows; by default `poolHeight`.
    ///   - strideWidth: columns between windows; by default `poolWidth`.
    ///   - padding: `valid` (windows inside the input) or `same` (output `ceil(input / stride)`,
    ///     windows reaching past the input use only the elements inside it, as TensorFlow's).
    /// - Throws: ``GlassboxError`` when the window does not fit the input or a size is below 1.
    public init(inputShape: Shape, poolHeight: Int = 2, poolWidth: Int = 2, strideHeight: Int? = nil, strideWidth: Int? = nil,
                padding: Padding = .valid) throws {
        guard inputShape.rank == 4 else {
            throw GlassboxError.shapeMismatch(operation: "maxpool2d input", expected: "[N, H, W, C] (rank 4)", actual: inputShape)
        }
        let strideHeight = strideHeight ?? poolHeight
        let strideWidth = strideWidth ?? poolWidth
        guard poolHeight >= 1, poolWidth >= 1, strideHeight >= 1, strideWidth >= 1 else {
            throw GlassboxError.invalidArgument(operation: "maxpool2d",
                reason: "pool (\(poolHeight), \(poolWidth)) and stride (\(strideHeight), \(strideWidth)) must be at least 1")
        }
        guard padding == .same || (inputShape[1] >= poolHeight && inputShape[2] >= poolWidth) else {
            throw GlassboxError.shapeMismatch(operation: "maxpool2d",
                expected: "input at least \(poolHeight)x\(poolWidth)", actual: inputShape)
        }
        guard [inputShape[1], inputShape[2], poolHeight, poolWidth, strideHeight, strideWidth].allSatisfy({ $0 <= Conv2DGeometry.largestSide }) else {
            throw GlassboxError.invalidArgument(operation: "maxpool2d",
                reason: "input \(inputShape), pool and strides must be at most \(Conv2DGeometry.largestSide)")
        }
        batch = inputShape[0]; inputHeight = inputShape[1]; inputWidth = inputShape[2]; channels = inputShape[3]
        self.poolHeight = poolHeight; self.poolWidth = poolWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padding = padding
        switch padding {
        case .valid:
            outputHeight = (inputHeight - poolHeight) / strideHeight + 1
            outputWidth = (inputWidth - poolWidth) / strideWidth + 1
            padTop = 0; padLeft = 0
        case .same:
            outputHeight = (inputHeight + strideHeight - 1) / strideHeight
            outputWidth = (inputWidth + strideWidth - 1) / strideWidth
            padTop = max((outputHeight - 1) * strideHeight + poolHeight - inputHeight, 0) / 2
            padLeft = max((outputWidth - 1) * strideWidth + poolWidth - inputWidth, 0) / 2
        }
        self.inputShape = inputShape
        self.outputShape = try Shape([batch, outputHeight, outputWidth, channels])
    }

    public let inputShape: Shape
    public let outputShape: Shape
    public let padding: Padding
    /// Rows above and columns left of the input that `same` windows reach (TensorFlow's split).
    public let padTop, padLeft: Int

    /// Whether every window lies inside the input (no padding is reached on any side).
    public var windowsInside: Bool {
        padTop == 0 && padLeft == 0 && (outputHeight - 1) * strideHeight + poolHeight <= inputHeight
            && (outputWidth - 1) * strideWidth + poolWidth <= inputWidth
    }

    /// Whether the windows tile the input: disjoint (stride = window), inside it, and covering
    /// every element (then `same` padding reaches no padding either).
    public var windowsTileInput: Bool {
        strideHeight == poolHeight && strideWidth == poolWidth
            && outputHeight * poolHeight == inputHeight && outputWidth * poolWidth == inputWidth
    }
}

/// Adam's settings; the defaults are Keras's.
public struct AdamHyperparameters: Equatable, Sendable {
    public var learningRate: Float = 0.001
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-7
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }

    /// The bias-corrected step size of step `t` (1-based), in Double:
    /// `lr * sqrt(1 - beta2^t) / (1 - beta1^t)` (Kingma & Ba 2015, end of section 2).
    public func stepSize(step: Int) -> Double {
        let t = Double(step)
        return Double(learningRate) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
