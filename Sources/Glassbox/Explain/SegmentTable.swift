/// A shortcut for perturbation sweeps of models that begin Conv2D -> MaxPool2D -> Flatten ->
/// Dense, like the reference CNN.
///
/// Each pooled position sees the input through a small window (4x4 pixels for a 3x3 convolution
/// and 2x2 pooling), which covers only the few segments under it. So the first Dense layer's
/// pre-activation for any coalition is a sum over *groups* of positions that share the same
/// segments: `z(mask) = b + sum_g T[g][bits of mask on g's segments]`, where row `T[g][c]` is the
/// Dense contribution of group g's positions when its segments are present as the bits of `c`
/// say. The rows are computed once per input from a handful of images: the segments are coloured
/// so that the segments of any group have different colours, and the `2^colours` images that set
/// each colour on or off realise every combination of every group at once. A group whose
/// segments all lie in a larger group's folds into it: its contribution joins each of the larger
/// group's rows, so the sweep reads fewer rows (for the reference CNN on `grid:7`, 169 groups
/// of 1, 2 or 4 segments fold into the 36 groups of 4). A sweep then costs, per coalition, one
/// table row per group (36 x 128 additions there) instead of the whole forward pass
/// (1.78 MFLOP); the layers after the first Dense run as usual. The results equal the full forward pass up to float rounding order
/// (``PerturbationEngine`` tests compare the two on both backends).
public struct SegmentTable {
    /// The most segments one group may touch (its table has `2^segments` rows).
    public static let maximumGroupSegments = MaskedRowGroup.maximumSegments
    /// The most colours allowed (the table is built from `2^colours` images).
    static let maximumColours = 10

    /// Positions whose segments all lie in the group's segments: their rows of the table.
    public typealias Group = MaskedRowGroup

    public let groups: [Group]
    /// `[rows, units]`: each group's `2^segments` rows of Dense contributions.
    let table: Tensor
    /// The Dense layer's bias, `[units]`.
    let bias: Tensor
    /// How many images the table was built from.
    public let colourImages: Int
    public var units: Int { table.shape[1] }

    /// Builds the table for one input, or returns nil when the model is not a chain starting with
    /// Conv2D -> MaxPool2D -> Flatten -> Dense (with units a multiple of 16), or a group would
    /// touch more than ``maximumGroupSegments`` segments, or the segments need more than 10
    /// colours.
    /// - Complexity: `2^colours` convolution passes, for every pooled position one small product
    ///   per combination of its segments, and for every row of a folded group one sum of rows
    ///   (``Backend/segmentTableRows(features:weights:layout:into:)``).
    static func build(session: InferenceSession, segmentation: Segmentation, input: Tensor, baseline: Tensor,
                      segments: Tensor) throws -> SegmentTable? {
        let model = session.model
        guard model.isChain, model.layers.count >= 4, let conv = model.layers[0] as? Conv2D, conv.activation != .softmax,
              let pool = model.layers[1] as? MaxPool2D, pool.padding == .valid, model.layers[2] is Flatten, let dense = model.layers[3] as? Dense,
              dense.units % 16 == 0 else { return nil }
        let g = try conv.geometry(model.inputShape, batch: 1)
        let p = try pool.geometry(model.outputShapes[0], batch: 1)
        let channels = g.outputChannels
        // The segments each pooled position sees.
        var positionSegments: [[Int]] = []
        for qh in 0..<p.outputHeight {
            for qw in 0..<p.outputWidth {
                var seen = Set<Int>()
                for ph in 0..<p.poolHeight {
                    for kh in 0..<g.kernelHeight {
                        let ih = (qh * p.strideHeight + ph) * g.strideHeight + kh - g.padTop
                        guard ih >= 0, ih < g.inputHeight else { continue }
                        for pw in 0..<p.poolWidth {
                            for kw in 0..<g.kernelWidth {
                                let iw = (qw * p.strideWidth + pw) * g.strideWidth + kw - g.padLeft
                                guard iw >= 0, iw < g.inputWidth else { continue }
                                seen.insert(segmentation.segmentOfPixel[ih * g.inputWidth + iw])
                            }
                        }
                    }
                }
                guard seen.count <= maximumGroupSegments else { return nil }
                positionSegments.append(seen.sorted())
            }
        }
        // Groups of positions with equal segment sets, in order of first position.
        var groupIndex: [[Int]: Int] = [:]
        var groupSegments: [[Int]] = [], groupPositions: [[Int]] = []
        for (position, segments) in positionSegments.enumerated() {
            if let index = groupIndex[segments] {
                groupPositions[index].append(position)
            } else {
                groupIndex[segments] = groupSegments.count
                groupSegments.append(segments)
                groupPositions.append([position])
            }
        }
        // Colour the segments so that no group repeats a colour (greedy, most-constrained first).
        var neighbours = [Set<Int>](repeating: [], count: segmentation.count)
        for segments in groupSegments {
            for a in segments { for b in segments where a != b { neighbours[a].insert(b) } }
        }
        var colour = [Int](repeating: -1, count: segmentation.count)
        for segment in (0..<segmentation.count).sorted(by: { (neighbours[$0].count, $1) > (neighbours[$1].count, $0) }) {
            let used = Set(neighbours[segment].map { colour[$0] })
            colour[segment] = (0...).first { !used.contains($0) }!
        }
        let colours = (colour.max() ?? 0) + 1
        guard colours <= maximumColours else { return nil }
        // The images that switch each colour on or off, through the convolution and pooling.
        let images = 1 << colours
        let masks: [UInt64] = (0..<images).map { pattern in
            var mask: UInt64 = 0
            for segment in 0..<segmentation.count where (pattern >> colour[segment]) & 1 == 1 { mask |= 1 << UInt64(segment) }
            return mask
        }
        let backend = session.backend
        let batchGeometry = try conv.geometry(model.inputShape, batch: images)
        let batchPool = try pool.geometry(model.outputShapes[0], batch: images)
        let expanded = try backend.makeTensor(shape: batchGeometry.inputShape)
        try backend.expandMasks(masks, input: input, baseline: baseline, segments: segments, into: expanded)
        let pooled = try backend.makeTensor(shape: batchPool.outputShape)
        let network = session.network
        try backend.conv2dPoolForward(input: expanded, kernel: network.parameters[0][0], bias: network.parameters[0][1],
                                      geometry: batchGeometry, pool: batchPool, activation: conv.activation, into: pooled)
        // Parts: each group's contribution for each combination of its segments, from the image
        // that shows exactly those segments' colours.
        var partOffsets: [Int] = [], partGroups: [Int] = [], partImages: [Int] = []
        for (index, segments) in groupSegments.enumerated() {
            partOffsets.append(partGroups.count)
            for code in 0..<(1 << segments.count) {
                var pattern = 0
                for (bit, segment) in segments.enumerated() where (code >> bit) & 1 == 1 { pattern |= 1 << colour[segment] }
                partGroups.append(index)
                partImages.append(pattern)
            }
        }
        // A group whose segments all lie in a larger group's folds into the largest such group
        // (which no group contains): its part for the larger group's segments' bits joins each of
        // that group's rows, so a sweep reads fewer rows per coalition (169 -> 36 for the
        // reference CNN on grid:7).
        let segmentBits = groupSegments.map { $0.reduce(UInt64(0)) { $0 | (1 << UInt64($1)) } }
        var members = [[Int]](repeating: [], count: groupSegments.count)
        for index in groupSegments.indices {
            let host = groupSegments.indices.filter { segmentBits[index] & ~segmentBits[$0] == 0 }
                .max { (groupSegments[$0].count, $1) < (groupSegments[$1].count, $0) }!
            members[host].append(index)
        }
        var groups: [Group] = [], rowParts: [[Int]] = []
        for (host, folded) in members.enumerated() where !folded.isEmpty {
            let segments = groupSegments[host]
            groups.append(Group(segments: segments, offset: rowParts.count))
            for code in 0..<(1 << segments.count) {
                rowParts.append(folded.map { member in
                    var memberCode = 0
                    for (bit, segment) in groupSegments[member].enumerated() where (code >> segments.firstIndex(of: segment)!) & 1 == 1 {
                        memberCode |= 1 << bit
                    }
                    return partOffsets[member] + memberCode
                })
            }
        }
        let layout = SegmentTableLayout(channels: channels, groupPositions: groupPositions, partGroups: partGroups,
                                        partImages: partImages, rowParts: rowParts)
        let rows = try backend.makeTensor(shape: try Shape([layout.rows, dense.units]))
        try backend.segmentTableRows(features: pooled, weights: network.parameters[3][0], layout: layout, into: rows)
        return SegmentTable(groups: groups, table: rows, bias: network.parameters[3][1], colourImages: images)
    }
}
