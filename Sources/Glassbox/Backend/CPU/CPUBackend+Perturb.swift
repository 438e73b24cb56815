extension CPUBackend {
    public func expandMasks(_ masks: [UInt64], input: Tensor, baseline: Tensor, segments: Tensor, into output: Tensor) throws {
        let (channels, references) = try ShapeChecks.expandMasks(masks, input, baseline, segments, output)
        let x = try host(input, "expand_masks"), b = try host(baseline, "expand_masks")
        let ids = try host(segments, "expand_masks"), y = try host(output, "expand_masks")
        let size = input.elementCount
        for id in ids[0..<segments.elementCount] where !(id >= 0 && id < 64 && id.rounded() == id) {
            throw GlassboxError.invalidArgument(operation: "expand_masks", reason: "segment id \(id) is not an integer in 0...63")
        }
        for (i, mask) in masks.enumerated() {
            for k in 0..<references {
                let row = i * references + k
                for e in 0..<size {
                    let present = (mask >> UInt64(ids[e / channels])) & 1 == 1
                    y[row * size + e] = present ? x[e] : b[k * size + e]
                }
            }
        }
    }
}
