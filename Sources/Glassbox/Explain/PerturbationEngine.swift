/// Runs many masked copies of one input through a model: the hot path of every
/// perturbation-based explainer.
///
/// Coalitions are bit masks, one `UInt64` per sample (bit `s` set = segment `s` shows the
/// input, clear = it shows the baseline; up to 64 segments). The baseline may be several rows (a
/// background set): a coalition's output is then the mean over the rows of the model's output
/// with the absent segments taken from each row, the interventional value function of SHAP with
/// an independent masker (Lundberg & Lee 2017; Janzing, Minorics & Bloebaum 2020). The masks go to the backend, which
/// expands them into images on the device (``Backend/expandMasks(_:input:baseline:segments:into:)``),
/// runs the forward pass in chunks of at most `chunkSize` samples, and hands back only the
/// requested classes' outputs. Memory stays bounded by the chunk, whatever the number of masks.
public final class PerturbationEngine {
    public let session: InferenceSession
    public let segmentation: Segmentation
    public let input: [Float]
    public let baseline: [Float]
    /// The number of baseline rows in ``baseline`` (1 for a baseline image).
    public let references: Int
    /// Samples per forward pass; halved whenever the device runs out of memory for a chunk.
    public private(set) var chunkSize: Int
    /// Coalitions evaluated so far (each is ``references`` forward passes).
    public private(set) var evaluations = 0
    private let inputTensor: Tensor
    private let baselineTensor: Tensor
    private let segmentsTensor: Tensor
    /// Whether to try the ``SegmentTable`` shortcut.
    public let allowsSegmentTable: Bool
    private var table: SegmentTable?
    private var tableTried = false
    private var tableStacks: [Int: (preactivation: Tensor, runners: [any LayerRunner], probabilities: Tensor)] = [:]

    /// - Parameters:
    ///   - session: the model on its backend.
    ///   - input: one sample of the model's input shape.
    ///   - baseline: what absent segments show: one or more rows of the size of `input`, averaged over.
    ///   - segmentation: one segment per pixel; the model's input must be `height x width x channels`
    ///     or, for a table, one row of `width` features (`height` 1).
    ///   - chunkSize: samples per forward pass; by default ``defaultChunkSize(for:backend:)``,
    ///     sized to the device's memory.
    ///   - allowsSegmentTable: use the ``SegmentTable`` shortcut when the model's shape allows it
    ///     (the default); false always runs the full forward pass.
    /// - Throws: ``GlassboxError`` when the sizes do not fit each other or the model, or there are
    ///   more than 64 segments.
    public init(session: InferenceSession, input: [Float], baseline: [Float], segmentation: Segmentation, chunkSize: Int? = nil,
                allowsSegmentTable: Bool = true) throws {
        let chunkSize = chunkSize ?? Self.defaultChunkSize(for: session.model, backend: session.backend)
        let model = session.model
        guard input.count == model.sampleSize else {
            throw GlassboxError.invalidArgument(operation: "explain",
                reason: "the input has \(input.count) values but the model takes \(model.inputShape) (\(model.sampleSize) values)")
        }
        guard !input.isEmpty, baseline.count >= input.count, baseline.count % input.count == 0 else {
            throw GlassboxError.invalidArgument(operation: "explain",
                reason: "the baseline has \(baseline.count) values, not one or more rows of the input's \(input.count)")
        }
        let fitsImage = model.inputShape.count == 3 && model.inputShape[0] == segmentation.height && model.inputShape[1] == segmentation.width
        let fitsRow = model.inputShape.count == 1 && segmentation.height == 1 && segmentation.width == model.inputShape[0]
        guard fitsImage || fitsRow else {
            throw GlassboxError.invalidArgument(operation: "explain",
                reason: "segments of a \(segmentation.width)x\(segmentation.height) image do not fit the model's input \(model.inputShape)")
        }
        guard segmentation.count <= 64 else {
            throw GlassboxError.invalidArgument(operation: "explain",
                reason: "\(segmentation.count) segments: the perturbation engine takes at most 64 (use fewer grid cells or superpixels)")
        }
        guard chunkSize >= 1 else { throw GlassboxError.invalidArgument(operation: "explain", reason: "chunk size must be at least 1") }
        self.session = session
        self.segmentation = segmentation
        self.input = input
        self.baseline = baseline
        self.references = baseline.count / input.count
        self.chunkSize = chunkSize
        self.allowsSegmentTable = allowsSegmentTable
        let backend = session.backend
        let shape = try Shape(model.inputShape)
        inputTensor = try backend.upload(input, shape: shape)
        baselineTensor = try backend.upload(baseline, shape: try Shape([baseline.count / input.count] + model.inputShape))
        segmentsTensor = try backend.upload(segmentation.segmentOfPixel.map(Float.init), shape: try Shape([segmentation.segmentOfPixel.count]))
    }

    /// Samples per forward pass that keep one chunk's activations within an eighth of the device's
    /// global memory (of 1 GiB on the CPU reference) and at most 512 MB, between 64 and 32,768 (a
    /// small model on table rows takes the most, each coalition times its background rows):
    /// about 3,200 for the reference CNN on PoCL here, whose chunk then holds about 430 MB of
    /// buffers (most of them never touched when the fused or table paths run).
    public static func defaultChunkSize(for model: Sequential, backend: any Backend) -> Int {
        let floatsPerSample = model.sampleSize + model.outputShapes.reduce(0) { $0 + $1.reduce(1, *) } + model.outputCount
        let memory = (backend as? OpenCLBackend).map { Double($0.device.globalMemoryBytes) } ?? Double(1 << 30)
        let budget = min(memory / 8, 512 * 1_048_576)
        let chunk = Int(budget / Double(floatsPerSample * 4))
        return min(32_768, max(64, chunk & ~63))
    }

    /// Whether sweeps run through a ``SegmentTable`` (known after the first evaluation).
    public var usesSegmentTable: Bool { table != nil }

    /// All segments present: the input itself.
    public var fullMask: UInt64 { segmentation.count == 64 ? .max : (1 << UInt64(segmentation.count)) - 1 }

    /// The outputs of `classes` for every mask: `result[c][i]` is class `classes[c]` on mask `i`.
    /// - Complexity: `masks.count` forward passes, in chunks of at most ``chunkSize``.
    public func evaluate(_ masks: [UInt64], classes: [Int]) throws -> [[Double]] {
        let model = session.model
        let outputs = model.outputCount
        if let bad = classes.first(where: { !(0..<outputs).contains($0) }) {
            throw GlassboxError.invalidArgument(operation: "explain", reason: "target class \(bad) is not in 0..<\(outputs)")
        }
        var result = [[Double]](repeating: [], count: classes.count)
        for c in classes.indices { result[c].reserveCapacity(masks.count) }
        guard !masks.isEmpty else { return result }
        if allowsSegmentTable && !tableTried && references == 1 {
            tableTried = true
            table = try SegmentTable.build(session: session, segmentation: segmentation, input: inputTensor, baseline: baselineTensor,
                                           segments: segmentsTensor)
        }
        if let table { return try evaluate(masks, classes: classes, table: table) }
        // One batch size for every chunk (the last is padded), so buffers are made once. With K
        // baseline rows a chunk holds batch / K masks, each expanded K times and averaged back.
        let network = session.network
        let k = references
        var first = 0
        while first < masks.count {
            let appended = try retryingSmallerOnOutOfMemory { () -> Int in
                let perChunk = max(1, chunkSize / k)
                let stack = try network.stack(batchSize: min(perChunk, (masks.count + 63) / 64 * 64) * k)
                let batch = stack.batchSize / k
                let rows = min(batch, masks.count - first)
                var chunk = Array(masks[first..<(first + rows)])
                if rows < batch { chunk += [UInt64](repeating: chunk.last!, count: batch - rows) }
                try session.backend.expandMasks(chunk, input: inputTensor, baseline: baselineTensor, segments: segmentsTensor, into: stack.input)
                let layerOutputs = try network.forward(stack, training: false, seed: 0).outputs
                let probabilities = try session.backend.download(try network.predictions(stack, output: layerOutputs.last!))
                for (c, target) in classes.enumerated() {
                    for row in 0..<rows {
                        var sum = 0.0
                        for reference in 0..<k { sum += Double(probabilities[(row * k + reference) * outputs + target]) }
                        result[c].append(k == 1 ? sum : sum / Double(k))
                    }
                }
                return rows
            }
            first += appended
        }
        evaluations += masks.count
        return result
    }

    /// The table path: the first Dense layer's pre-activation from the table, then the rest of
    /// the model as usual.
    private func evaluate(_ masks: [UInt64], classes: [Int], table: SegmentTable) throws -> [[Double]] {
        let model = session.model, backend = session.backend
        let outputs = model.outputCount
        let dense = model.layers[3] as! Dense
        var result = [[Double]](repeating: [], count: classes.count)
        var first = 0
        while first < masks.count {
            first += try retryingSmallerOnOutOfMemory { () -> Int in
                let batch = min(chunkSize * 4, (masks.count + 63) / 64 * 64)
                if tableStacks[batch] == nil {
                    var runners: [any LayerRunner] = []
                    for index in 4..<model.layers.count {
                        runners.append(try model.layers[index].makeRunner(backend: backend, inputShape: model.outputShapes[index - 1],
                                                                          batchSize: batch, isOutputLayer: index == model.layers.count - 1))
                    }
                    tableStacks[batch] = (try backend.makeTensor(shape: try Shape([batch, table.units])), runners,
                                          try backend.makeTensor(shape: try Shape([batch, outputs])))
                }
                let (preactivation, runners, probabilities) = tableStacks[batch]!
                let rows = min(batch, masks.count - first)
                var chunk = Array(masks[first..<(first + rows)])
                if rows < batch { chunk += [UInt64](repeating: chunk.last!, count: batch - rows) }
                try backend.segmentTableSweep(chunk, table: table.table, groups: table.groups, bias: table.bias, into: preactivation)
                if !(runners.isEmpty && dense.activation == .softmax) { try dense.activation.apply(backend, preactivation) }
                var current = preactivation
                for (offset, runner) in runners.enumerated() {
                    current = try runner.forward(current, parameters: session.network.parameters[4 + offset], training: false, seed: 0)
                }
                let values = try backend.download(try session.network.head.predictions(current, batch: batch, backend: backend,
                                                                                         into: probabilities))
                for (c, target) in classes.enumerated() {
                    for row in 0..<rows { result[c].append(Double(values[row * outputs + target])) }
                }
                return rows
            }
        }
        evaluations += masks.count
        return result
    }

    /// Runs one chunk; when the device runs out of memory, frees the cached buffers, halves the
    /// chunk and runs it again, down to one sample, so a sweep too large for the device is split
    /// rather than failed. `chunk` must not keep results from an attempt that threw.
    private func retryingSmallerOnOutOfMemory(_ chunk: () throws -> Int) throws -> Int {
        while true {
            do {
                return try chunk()
            } catch let error as GlassboxError {
                guard case .deviceOutOfMemory = error, chunkSize > 1 else { throw error }
                chunkSize /= 2
                tableStacks = [:]
                session.network.removeStacks()
            }
        }
    }

    /// The output of `target` for every mask.
    public func evaluate(_ masks: [UInt64], target: Int) throws -> [Double] {
        try evaluate(masks, classes: [target])[0]
    }
}
