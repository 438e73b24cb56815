/// Which pooled features make each row of a segment table, the operand of
/// ``Backend/segmentTableRows(features:weights:layout:into:)``.
///
/// A *part* is the first Dense layer's contribution of one group of positions in one image: part
/// `k` sums, over the positions `groupPositions[partGroups[k]]`, the features of image
/// `partImages[k]` (each position holds `channels` consecutive features) times their weight
/// rows. Each table row is the sum of the parts `rowParts[r]`: the parts let rows that share a
/// group's contribution (a group folded into a larger one) compute it once.
public struct SegmentTableLayout: Equatable, Sendable {
    /// Features per position.
    public let channels: Int
    /// Each group's positions (indices of `channels`-feature blocks).
    public let groupPositions: [[Int]]
    /// Each part's group.
    public let partGroups: [Int]
    /// Each part's image: the row of `features` it reads.
    public let partImages: [Int]
    /// Each table row's parts.
    public let rowParts: [[Int]]

    public init(channels: Int, groupPositions: [[Int]], partGroups: [Int], partImages: [Int], rowParts: [[Int]]) {
        self.channels = channels
        self.groupPositions = groupPositions
        self.partGroups = partGroups
        self.partImages = partImages
        self.rowParts = rowParts
    }

    /// The number of parts.
    public var parts: Int { partGroups.count }
    /// The number of table rows.
    public var rows: Int { rowParts.count }
    /// Whether row `r` is part `r` alone, so the parts are the table.
    public var rowsAreParts: Bool { rowParts.count == partGroups.count && rowParts.indices.allSatisfy { rowParts[$0] == [$0] } }
}
