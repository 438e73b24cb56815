import COpenCL

extension OpenCLBackend {
    public func expandMasks(_ masks: [UInt64], input: Tensor, baseline: Tensor, segments: Tensor, into output: Tensor) throws {
        let (channels, references) = try ShapeChecks.expandMasks(masks, input, baseline, segments, output)
        let idValues = try download(segments)
        if let bad = idValues.first(where: { !($0 >= 0 && $0 < 64 && $0.rounded() == $0) }) {
            throw GlassboxError.invalidArgument(operation: "expand_masks", reason: "segment id \(bad) is not an integer in 0...63")
        }
        let ids = try scratch("perturb.segments", floats: idValues.count)
        try writeBytes(idValues.map { Int32($0) }, to: ids)
        let maskBuffer = try scratch("perturb.masks", floats: 2 * max(masks.count, 1))
        try writeBytes(masks, to: maskBuffer)
        try launch("expand_masks", file: "perturb", global: [input.elementCount, masks.count * references], local: [tuning.perturbGroup, 1],
                   [.int(masks.count), .int(input.elementCount), .int(channels), .int(references), .buffer(maskBuffer),
                    .buffer(try buffer(input, "expand_masks")), .buffer(try buffer(baseline, "expand_masks")),
                    .buffer(ids), .buffer(try buffer(output, "expand_masks"))])
    }

    /// Queues a copy of raw values into a device buffer (without waiting; `values` may go away
    /// afterwards, see ``PendingWrites``).
    func writeBytes<T>(_ values: [T], to buffer: Buffer) throws {
        try values.withUnsafeBytes { bytes in
            guard bytes.count <= buffer.byteCount else {
                throw GlassboxError.invalidArgument(operation: "write", reason: "\(bytes.count) bytes into a buffer of \(buffer.byteCount)")
            }
            try pendingWrites.enqueue(bytes, into: buffer, queue: queue)
        }
    }
}
