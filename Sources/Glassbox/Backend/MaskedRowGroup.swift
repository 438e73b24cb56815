/// Rows of a table selected by bits of a mask, the operand of
/// ``Backend/segmentTableSweep(_:table:groups:bias:into:)``: the group's rows start at `offset`,
/// and the bits of `mask` at positions `segments` (in order) make the index of the row to add.
public struct MaskedRowGroup: Equatable, Sendable, CustomStringConvertible {
    /// The mask's bits, in the bit order of the group's table rows.
    public let segments: [Int]
    /// The group's first row in the table.
    public let offset: Int
    /// The most bits a group may have (the kernel reads 8 per group).
    public static let maximumSegments = 8
    public init(segments: [Int], offset: Int) { self.segments = segments; self.offset = offset }
    public var description: String { "segments \(segments) at row \(offset)" }
}
