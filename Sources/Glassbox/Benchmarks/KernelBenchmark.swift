import Foundation

/// Times the GEMM and Conv2D ops at the reference CNN's shapes on one backend.
///
/// Each case runs once untimed (building programs, touching buffers), then at least `repeats`
/// times and for at least ``minimumSeconds``; the fastest run is reported, with the device
/// synchronised before and after each run. The time floor spreads the runs of a sub-millisecond
/// case over a quarter of a second, so that a moment of contention on a shared host (which can
/// slow twenty back-to-back runs of 0.3 ms alike) does not decide its figure; `bench/numpy_gemm.py`
/// measures the peer the same way.
public struct KernelBenchmark {
    /// One measured case.
    public struct Result {
        public let name: String
        public let backend: String
        public let seconds: Double
        public let flops: Double
        public var gflops: Double { flops / seconds / 1e9 }
    }

    public let backend: any Backend
    public let repeats: Int
    /// The least time spent in a case's timed runs, in seconds.
    public static let minimumSeconds = 0.25

    public init(backend: any Backend, repeats: Int) {
        self.backend = backend
        self.repeats = repeats
    }

    /// The cases: the Dense 5408x128 layer's three GEMMs at batch 32 (forward, weight gradient,
    /// input gradient), its forward at batch 4,096 (a perturbation sweep's chunk), its whole relu
    /// backward pass (fused, and as separate ops), and Conv2D(32, 3x3) on 28x28x1 forward and
    /// backward at batch 32.
    public func runAll(progress: (String) -> Void = { _ in }) throws -> [Result] {
        var random = SystemRandomNumberGenerator()
        func tensor(_ shape: Shape) throws -> Tensor {
            try backend.upload((0..<shape.elementCount).map { _ in Float.random(in: -1...1, using: &random) }, shape: shape)
        }
        var results: [Result] = []
        func measure(_ name: String, flops: Double, _ body: () throws -> Void) throws {
            progress("\(backend.name): \(name)")
            try body()
            try backend.synchronize()
            var best = Double.infinity, spent = 0.0, runs = 0
            while runs < repeats || (repeats > 1 && spent < Self.minimumSeconds) {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                try backend.synchronize()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                best = min(best, seconds)
                spent += seconds
                runs += 1
            }
            results.append(Result(name: name, backend: backend.name, seconds: best, flops: flops))
        }
        func measureAlternately(_ first: String, _ second: String, flops: Double, _ a: () throws -> Void, _ b: () throws -> Void) throws {
            progress("\(backend.name): \(first) | \(second)")
            try a(); try b()
            try backend.synchronize()
            var best = [Double.infinity, .infinity], spent = 0.0, rounds = 0
            while rounds < max(repeats, 3) * 3 || (repeats > 1 && spent < 2 * Self.minimumSeconds) {
                for index in 0..<2 {
                    let start = DispatchTime.now().uptimeNanoseconds
                    if index == 0 { try a() } else { try b() }
                    try backend.synchronize()
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    best[index] = min(best[index], seconds)
                    spent += seconds
                }
                rounds += 1
            }
            results.append(Result(name: first, backend: backend.name, seconds: best[0], flops: flops))
            results.append(Result(name: second, backend: backend.name, seconds: best[1], flops: flops))
        }

        // The cost of one launch and wait, whatever the product: a GEMM too small to take time.
        let (tinyA, tinyB, tinyC) = (try tensor([32, 16]), try tensor([16, 16]), try tensor([32, 16]))
        try measure("gemm 32x16x16 (launch and wait)", flops: 2 * 32 * 16 * 16) {
            try backend.gemm(tinyA, tinyB, into: tinyC)
        }

        let (k, n) = (5408, 128)
        let weights = try tensor([k, n]), bias = try tensor([n])
        for m in [32, 4096] {
            let x = try tensor([m, k]), y = try tensor([m, n])
            try measure("gemm \(m)x\(k)x\(n)", flops: 2 * Double(m * n * k)) {
                try backend.gemm(x, weights, into: y, bias: bias)
            }
        }
        let x32 = try tensor([32, k]), dy32 = try tensor([32, n]), dw = try tensor([k, n]), dx32 = try tensor([32, k])
        try measure("gemm dW (x^T dy) 5408x32x128", flops: 2 * Double(32 * n * k)) {
            try backend.gemm(x32, dy32, into: dw, transposeA: true)
        }
        try measure("gemm dX (dy W^T) 32x128x5408", flops: 2 * Double(32 * n * k)) {
            try backend.gemm(dy32, weights, into: dx32, transposeB: true)
        }
        // The whole backward pass of Dense(128, relu) at batch 32: dW, db and dX from dY and the
        // layer's output, as the backend runs it (fused on OpenCL) and as separate ops.
        let y32 = try tensor([32, n]), db = try tensor([n])
        // Timed alternately, so that a noisy machine slows both alike. The first is OpenCL's
        // two-launch form whatever the tuning chose (the backend's own op elsewhere).
        try measureAlternately("dense relu backward 32x5408x128, fused", "dense relu backward 32x5408x128, separate ops",
                               flops: 4 * Double(32 * n * k)) {
            if let openCL = backend as? OpenCLBackend {
                try openCL.denseBackwardFused(x32, weights: weights, output: y32, activation: .relu, gradOutput: dy32,
                                              weightGradient: dw, biasGradient: db, inputGradient: dx32)
            } else {
                try backend.denseBackward(x32, weights: weights, output: y32, activation: .relu, gradOutput: dy32,
                                          weightGradient: dw, biasGradient: db, inputGradient: dx32)
            }
        } _: {
            try backend.denseBackwardUnfused(x32, weights: weights, output: y32, activation: .relu, gradOutput: dy32,
                                             weightGradient: dw, biasGradient: db, inputGradient: dx32)
        }

        let geometry = try Conv2DGeometry(inputShape: [32, 28, 28, 1], kernelShape: [3, 3, 1, 32])
        let images = try tensor(geometry.inputShape), kernel = try tensor(geometry.kernelShape)
        let convBias = try tensor([32]), output = try tensor(geometry.outputShape)
        let gradOutput = try tensor(geometry.outputShape), gradInput = try tensor(geometry.inputShape)
        let gradKernel = try tensor(geometry.kernelShape), gradBias = try tensor([32])
        try measure("conv2d forward 32x28x28x1 k3x3x1x32", flops: geometry.forwardFLOPs) {
            try backend.conv2dForward(input: images, kernel: kernel, bias: convBias, geometry: geometry, into: output)
        }
        try measure("conv2d backward input 32x28x28x1 k3x3x1x32", flops: geometry.forwardFLOPs) {
            try backend.conv2dBackwardInput(gradOutput: gradOutput, kernel: kernel, geometry: geometry, into: gradInput)
        }
        try measure("conv2d backward kernel 32x28x28x1 k3x3x1x32", flops: geometry.forwardFLOPs) {
            try backend.conv2dBackwardKernel(input: images, gradOutput: gradOutput, geometry: geometry,
                                             kernelGradient: gradKernel, biasGradient: gradBias)
        }
        return results
    }
}
