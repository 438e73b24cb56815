/// The ops a model runs, at its shapes, grouped as ``TuningGroup``s: what ``KernelTuner`` times.
///
/// Taken from the model's layers: every Dense's forward GEMM (at the training and the inference
/// batch), weight-gradient GEMM, input-gradient GEMM and whole backward pass; every Conv2D's forward (both batches)
/// and weight and input gradients; every MaxPool2D's forward and backward; the perturbation batch builder on
/// the model's input with a 7x7 grid of segments; a segment-table sweep with the first Dense's
/// units over 100 groups of 1-4 segments; and the element-wise kernels and sums at the first layer's output size.
struct TuningWorkload {
    struct GEMMCase { let m, n, k: Int; let transposeA, transposeB: Bool }
    struct DenseBackwardCase { let rows, features, units: Int; let activation: Activation }

    var gemms: [GEMMCase] = []
    var transposedGEMMs: [GEMMCase] = []
    var denseBackwards: [DenseBackwardCase] = []
    var convForwards: [Conv2DGeometry] = []
    var convBackwards: [Conv2DGeometry] = []
    var poolForwards: [Pool2DGeometry] = []
    var poolBackwards: [Pool2DGeometry] = []
    var inputShape: [Int]
    var perturbationMasks: Int
    var tableUnits = 128
    var elementwiseCount: Int

    init(model: Sequential, trainingBatch: Int, inferenceBatch: Int, perturbationMasks: Int) throws {
        inputShape = model.inputShape
        self.perturbationMasks = perturbationMasks
        elementwiseCount = trainingBatch * model.inputShape.reduce(1, *)
        var tableUnitsFound = false
        for (index, layer) in model.layers.enumerated() {
            guard let input = model.inputShapes(of: index).first else { continue }
            switch layer {
            case let dense as Dense:
                let features = input.last ?? 1, rows = input.dropLast().reduce(1, *)
                for batch in [trainingBatch, inferenceBatch] {
                    gemms.append(GEMMCase(m: batch * rows, n: dense.units, k: features, transposeA: false, transposeB: false))
                }
                gemms.append(GEMMCase(m: features, n: dense.units, k: trainingBatch * rows, transposeA: true, transposeB: false))
                transposedGEMMs.append(GEMMCase(m: trainingBatch * rows, n: features, k: dense.units, transposeA: false, transposeB: true))
                // A softmax output layer trains as linear (the loss takes the softmax's gradient).
                let activation: Activation = dense.activation == .softmax ? .linear : dense.activation
                denseBackwards.append(DenseBackwardCase(rows: trainingBatch * rows, features: features, units: dense.units, activation: activation))
                if !tableUnitsFound && dense.units % 16 == 0 { (tableUnits, tableUnitsFound) = (dense.units, true) }
            case let conv as Conv2D:
                convForwards.append(try conv.geometry(input, batch: trainingBatch))
                convForwards.append(try conv.geometry(input, batch: inferenceBatch))
                convBackwards.append(try conv.geometry(input, batch: trainingBatch))
            case let pool as MaxPool2D:
                poolForwards.append(try pool.geometry(input, batch: inferenceBatch))
                poolForwards.append(try pool.geometry(input, batch: trainingBatch))
                poolBackwards.append(try pool.geometry(input, batch: trainingBatch))
            default:
                break
            }
            if index == 0 { elementwiseCount = trainingBatch * model.outputShapes[0].reduce(1, *) }
        }
    }

    /// Whether the workload runs any op of `group` on `variant` (a CPU device has no tiled GEMM, a
    /// GPU no transposed-B kernel of its own).
    func runs(_ group: TuningGroup, on variant: KernelVariant) -> Bool {
        switch group {
        case .gemm: return !gemms.isEmpty
        case .gemmTransposed: return variant == .cpu && !transposedGEMMs.isEmpty
        case .denseBackward: return denseBackwards.contains { $0.activation == .linear || $0.activation == .relu }
        case .convForward: return !convForwards.isEmpty
        case .convBackward: return !convBackwards.isEmpty
        case .pool: return !poolForwards.isEmpty
        case .perturbation, .segmentTable, .elementwise: return true
        }
    }

    /// The operands of every op, uploaded once to one backend; ``run(_:)`` runs a group on them
    /// and returns its outputs, to check a candidate against the defaults.
    final class Operands {
        let backend: any Backend
        let workload: TuningWorkload
        private var generator: SeededGenerator
        private var cache: [String: Tensor] = [:]

        init(workload: TuningWorkload, backend: any Backend, seed: UInt64) {
            self.workload = workload
            self.backend = backend
            self.generator = SeededGenerator(seed: seed)
        }

        /// A tensor of random values in -1...1, made once per name.
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            if let tensor = cache[name] { return tensor }
            let shape = try Shape(shape)
            let values = (0..<shape.elementCount).map { _ in Float.random(in: -1...1, using: &generator) }
            let tensor = try backend.upload(values, shape: shape)
            cache[name] = tensor
            return tensor
        }

        private lazy var masks: [UInt64] = (0..<workload.perturbationMasks).map { _ in
            UInt64.random(in: 0...UInt64.max, using: &generator) & ((1 << 49) - 1)
        }

        /// How many separately timed cases `group` has (one per shape).
        func caseCount(_ group: TuningGroup) -> Int {
            switch group {
            case .gemm: return workload.gemms.count
            case .gemmTransposed: return workload.transposedGEMMs.count
            case .denseBackward: return workload.denseBackwards.count
            case .convForward: return workload.convForwards.count
            case .convBackward: return workload.convBackwards.count
            case .pool: return workload.poolForwards.count + workload.poolBackwards.count
            case .perturbation, .segmentTable, .elementwise: return 1
            }
        }

        /// Runs every op of `group` once, or only case `only`; returns the tensors they wrote.
        func run(_ group: TuningGroup, only: Int? = nil) throws -> [Tensor] {
            let w = workload
            var outputs: [Tensor] = []
            func wanted(_ index: Int) -> Bool { only == nil || only == index }
            switch group {
            case .gemm, .gemmTransposed:
                for (index, c) in (group == .gemm ? w.gemms : w.transposedGEMMs).enumerated() where wanted(index) {
                    let key = "\(group.rawValue)\(index)"
                    let a = try tensor(key + ".a", c.transposeA ? [c.k, c.m] : [c.m, c.k])
                    let b = try tensor(key + ".b", c.transposeB ? [c.n, c.k] : [c.k, c.n])
                    let out = try tensor(key + ".c", [c.m, c.n])
                    let bias = c.transposeA || c.transposeB ? nil : try tensor(key + ".bias", [c.n])
                    try backend.gemm(a, b, into: out, transposeA: c.transposeA, transposeB: c.transposeB, bias: bias, accumulate: false)
                    outputs.append(out)
                }
            case .denseBackward:
                for (index, c) in w.denseBackwards.enumerated() where wanted(index) {
                    let key = "denseBackward\(index)"
                    let (dw, db) = (try tensor(key + ".dw", [c.features, c.units]), try tensor(key + ".db", [c.units]))
                    let dx = try tensor(key + ".dx", [c.rows, c.features])
                    // dY is overwritten with dZ by the separate ops; masking it again changes nothing.
                    try backend.denseBackward(try tensor(key + ".x", [c.rows, c.features]), weights: try tensor(key + ".w", [c.features, c.units]),
                                              output: try tensor(key + ".y", [c.rows, c.units]), activation: c.activation,
                                              gradOutput: try tensor(key + ".dy", [c.rows, c.units]),
                                              weightGradient: dw, biasGradient: db, inputGradient: dx)
                    outputs += [dw, db, dx]
                }
            case .convForward:
                for (index, g) in w.convForwards.enumerated() where wanted(index) {
                    let key = "conv\(index)"
                    let out = try tensor(key + ".out", g.outputShape.dimensions)
                    try backend.conv2dForward(input: try tensor(key + ".in", g.inputShape.dimensions),
                                              kernel: try tensor(key + ".kernel", g.kernelShape.dimensions),
                                              bias: try tensor(key + ".bias", [g.outputChannels]), geometry: g, into: out)
                    outputs.append(out)
                }
            case .convBackward:
                for (index, g) in w.convBackwards.enumerated() where wanted(index) {
                    let key = "convBackward\(index)"
                    let kernelGradient = try tensor(key + ".dk", g.kernelShape.dimensions)
                    let biasGradient = try tensor(key + ".db", [g.outputChannels])
                    try backend.conv2dBackwardKernel(input: try tensor(key + ".in", g.inputShape.dimensions),
                                                     gradOutput: try tensor(key + ".dy", g.outputShape.dimensions), geometry: g,
                                                     kernelGradient: kernelGradient, biasGradient: biasGradient)
                    // The input gradient: gradient methods and DeepSHAP take it down to the image.
                    let inputGradient = try tensor(key + ".dx", g.inputShape.dimensions)
                    try backend.conv2dBackwardInput(gradOutput: try tensor(key + ".dy", g.outputShape.dimensions),
                                                    kernel: try tensor(key + ".kernel", g.kernelShape.dimensions), geometry: g, into: inputGradient)
                    outputs += [kernelGradient, biasGradient, inputGradient]
                }
            case .pool:
                for (index, g) in w.poolForwards.enumerated() where wanted(index) {
                    let out = try tensor("pool\(index).out", g.outputShape.dimensions)
                    try backend.maxPool2dForward(input: try tensor("pool\(index).in", g.inputShape.dimensions), geometry: g, into: out)
                    outputs.append(out)
                }
                for (index, g) in w.poolBackwards.enumerated() where wanted(w.poolForwards.count + index) {
                    let out = try tensor("poolBackward\(index).dx", g.inputShape.dimensions)
                    try backend.maxPool2dBackward(input: try tensor("poolBackward\(index).in", g.inputShape.dimensions),
                                                  gradOutput: try tensor("poolBackward\(index).dy", g.outputShape.dimensions),
                                                  geometry: g, into: out)
                    outputs.append(out)
                }
            case .perturbation:
                let size = w.inputShape.reduce(1, *)
                if cache["perturb.segments"] == nil {
                    // A 7x7 grid on an image (H, W, C); blocks of positions on anything else.
                    let ids: [Float] = (0..<size).map { position in
                        guard w.inputShape.count == 3 else { return Float(min(63, position * 49 / max(size, 1))) }
                        let (height, width, channels) = (w.inputShape[0], w.inputShape[1], w.inputShape[2])
                        let pixel = position / channels, row = pixel / width, column = pixel % width
                        return Float(row * 7 / height * 7 + column * 7 / width)
                    }
                    cache["perturb.segments"] = try backend.upload(ids, shape: try Shape([size]))
                }
                let out = try tensor("perturb.out", [w.perturbationMasks] + w.inputShape)
                try backend.expandMasks(masks, input: try tensor("perturb.in", [1] + w.inputShape),
                                        baseline: try tensor("perturb.baseline", [1] + w.inputShape),
                                        segments: cache["perturb.segments"]!, into: out)
                outputs.append(out)
            case .segmentTable:
                // As a 7x7 grid seen through a conv and a pooling window: many groups of one, two or
                // four neighbouring segments (13x13 pooled positions sharing 100 segment sets).
                var groups: [MaskedRowGroup] = [], rows = 0
                for index in 0..<100 {
                    let size = [1, 2, 2, 4][index % 4], first = index % 49
                    groups.append(MaskedRowGroup(segments: (0..<size).map { (first + [0, 1, 7, 8][$0]) % 49 }, offset: rows))
                    rows += 1 << size
                }
                let out = try tensor("table.out", [w.perturbationMasks, w.tableUnits])
                try backend.segmentTableSweep(masks, table: try tensor("table.table", [rows, w.tableUnits]), groups: groups,
                                              bias: try tensor("table.bias", [w.tableUnits]), into: out)
                outputs.append(out)
            case .elementwise:
                let x = try tensor("elementwise.x", [w.elementwiseCount])
                let y = try tensor("elementwise.y", [w.elementwiseCount])
                let z = try tensor("elementwise.z", [w.elementwiseCount])
                let total = try tensor("elementwise.sum", [1])
                try backend.relu(x, into: y)
                try backend.reluBackward(gradOutput: x, input: y, into: z)
                try backend.sum(x, into: total, accumulate: false)
                outputs += [y, z, total]
            }
            return outputs
        }
    }
}
