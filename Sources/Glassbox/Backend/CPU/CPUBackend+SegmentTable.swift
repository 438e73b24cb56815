extension CPUBackend {
    public func segmentTableSweep(_ masks: [UInt64], table: Tensor, groups: [MaskedRowGroup], bias: Tensor, into output: Tensor) throws {
        let units = try ShapeChecks.segmentTableSweep(masks, table, groups, bias, output)
        let t = try host(table, "segment_table_sweep"), b = try host(bias, "segment_table_sweep")
        let y = try host(output, "segment_table_sweep")
        for (i, mask) in masks.enumerated() {
            var sums = (0..<units).map { Double(b[$0]) }
            for group in groups {
                var code = 0
                for (bit, segment) in group.segments.enumerated() where (mask >> UInt64(segment)) & 1 == 1 { code |= 1 << bit }
                let row = group.offset + code
                for u in 0..<units { sums[u] += Double(t[row * units + u]) }
            }
            for u in 0..<units { y[i * units + u] = Float(sums[u]) }
        }
    }
}

extension CPUBackend {
    public func segmentTableRows(features: Tensor, weights: Tensor, layout: SegmentTableLayout, into table: Tensor) throws {
        let (_, featureCount, units) = try ShapeChecks.segmentTableRows(features, weights, layout, table)
        let f = try host(features, "segment_table_rows"), w = try host(weights, "segment_table_rows")
        let t = try host(table, "segment_table_rows")
        // Each part once, then each row the sum of its parts.
        var parts = [Double](repeating: 0, count: layout.parts * units)
        for (part, group) in layout.partGroups.enumerated() {
            let image = layout.partImages[part] * featureCount
            for position in layout.groupPositions[group] {
                for feature in (position * layout.channels)..<((position + 1) * layout.channels) {
                    let value = Double(f[image + feature])
                    for u in 0..<units { parts[part * units + u] += value * Double(w[feature * units + u]) }
                }
            }
        }
        for (r, members) in layout.rowParts.enumerated() {
            for u in 0..<units { t[r * units + u] = Float(members.reduce(0.0) { $0 + parts[$1 * units + u] }) }
        }
    }
}
