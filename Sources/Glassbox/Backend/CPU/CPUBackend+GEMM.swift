extension CPUBackend {
    public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool,
                     bias: Tensor?, accumulate: Bool) throws {
        let (m, n, k) = try ShapeChecks.gemm(a, b, c, transposeA: transposeA, transposeB: transposeB, bias: bias)
        let a = try host(a, "gemm"), b = try host(b, "gemm"), c = try host(c, "gemm")
        let bias = try bias.map { try host($0, "gemm") }
        // Element (row, column) of op(a) and op(b) in their stored layouts.
        func aAt(_ row: Int, _ inner: Int) -> Double { Double(transposeA ? a[inner * m + row] : a[row * k + inner]) }
        func bAt(_ inner: Int, _ column: Int) -> Double { Double(transposeB ? b[column * k + inner] : b[inner * n + column]) }
        parallelFor(m, work: m * n * k) { row in
            for column in 0..<n {
                var total = 0.0
                for inner in 0..<k { total += aAt(row, inner) * bAt(inner, column) }
                if let bias { total += Double(bias[column]) }
                if accumulate { total += Double(c[row * n + column]) }
                c[row * n + column] = Float(total)
            }
        }
    }

    public func biasAdd(_ x: Tensor, bias: Tensor, into y: Tensor) throws {
        let (rows, columns) = try ShapeChecks.biasAdd(x, bias, y)
        let x = try host(x, "bias_add"), bias = try host(bias, "bias_add"), y = try host(y, "bias_add")
        for row in 0..<rows {
            for column in 0..<columns { y[row * columns + column] = x[row * columns + column] + bias[column] }
        }
    }
}
