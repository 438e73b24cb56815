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

extension OpenCLBackend {
    public func segmentTableRows(features: Tensor, weights: Tensor, layout: SegmentTableLayout, into table: Tensor) throws {
        let (_, featureCount, units) = try ShapeChecks.segmentTableRows(features, weights, layout, table)
        guard layout.rows > 0 else { return }
        let tableBuffer = try buffer(table, "segment_table_rows")
        // The parts go straight into the table when each row is one part, else into scratch and
        // then each row sums its parts.
        let direct = layout.rowsAreParts
        let partBuffer = direct ? tableBuffer : try scratch("table.parts", floats: max(layout.parts, 1) * units)
        if layout.parts > 0 {
            let (starts, positions) = Self.compressedRows(layout.groupPositions)
            let partList = try scratch("table.partList", floats: 2 * layout.parts)
            let startBuffer = try scratch("table.starts", floats: starts.count)
            let positionBuffer = try scratch("table.positions", floats: max(positions.count, 1))
            try writeBytes(zip(layout.partGroups, layout.partImages).flatMap { [Int32($0), Int32($1)] }, to: partList)
            try writeBytes(starts, to: startBuffer)
            try writeBytes(positions, to: positionBuffer)
            try launch("segment_table_parts", file: "perturb", global: [(units / 16 + tuning.tableVectors - 1) / tuning.tableVectors, layout.parts],
                       local: [1, tuning.tableGroup],
                       [.int(layout.parts), .int(units), .int(layout.channels), .int(featureCount),
                        .buffer(try buffer(features, "segment_table_rows")), .buffer(try buffer(weights, "segment_table_rows")),
                        .buffer(partList), .buffer(startBuffer), .buffer(positionBuffer), .buffer(partBuffer)])
        }
        guard !direct else { return }
        let (rowStarts, rowParts) = Self.compressedRows(layout.rowParts)
        let rowStartBuffer = try scratch("table.rowStarts", floats: rowStarts.count)
        let rowPartBuffer = try scratch("table.rowParts", floats: max(rowParts.count, 1))
        try writeBytes(rowStarts, to: rowStartBuffer)
        try writeBytes(rowParts, to: rowPartBuffer)
        try launch("segment_table_fold", file: "perturb", global: [units / 16, layout.rows], local: [1, tuning.tableGroup],
                   [.int(layout.rows), .int(units), .buffer(rowStartBuffer), .buffer(rowPartBuffer), .buffer(partBuffer),
                    .buffer(tableBuffer)])
    }

    /// Lists as one array of `Int32` with each list's start (and the end) beside it.
    private static func compressedRows(_ lists: [[Int]]) -> (starts: [Int32], values: [Int32]) {
        var starts: [Int32] = [0]
        starts.reserveCapacity(lists.count + 1)
        for list in lists { starts.append(starts.last! + Int32(list.count)) }
        return (starts, lists.flatMap { $0.map(Int32.init) })
    }
}
