extension OpenCLBackend {
    public func segmentTableSweep(_ masks: [UInt64], table: Tensor, groups: [MaskedRowGroup], bias: Tensor, into output: Tensor) throws {
        let units = try ShapeChecks.segmentTableSweep(masks, table, groups, bias, output)
        guard !masks.isEmpty else { return }
        let maskBuffer = try scratch("table.masks", floats: 2 * masks.count)
        try writeBytes(masks, to: maskBuffer)
        let offsets = try scratch("table.offsets", floats: max(groups.count, 1))
        let sizes = try scratch("table.sizes", floats: max(groups.count, 1))
        let segments = try scratch("table.segments", floats: max(groups.count * MaskedRowGroup.maximumSegments, 1))
        try writeBytes(groups.map { Int32($0.offset) }, to: offsets)
        try writeBytes(groups.map { Int32($0.segments.count) }, to: sizes)
        try writeBytes(groups.flatMap { group in
            (0..<MaskedRowGroup.maximumSegments).map { Int32($0 < group.segments.count ? group.segments[$0] : 0) }
        }, to: segments)
        try launch("segment_table_sweep", file: "perturb", global: [(units / 16 + tuning.tableVectors - 1) / tuning.tableVectors, masks.count], local: [1, tuning.tableGroup],
                   [.int(masks.count), .int(units), .int(groups.count), .buffer(maskBuffer),
                    .buffer(try buffer(table, "segment_table_sweep")), .buffer(offsets), .buffer(sizes), .buffer(segments),
                    .buffer(try buffer(bias, "segment_table_sweep")), .buffer(try buffer(output, "segment_table_sweep"))])
    }
}
