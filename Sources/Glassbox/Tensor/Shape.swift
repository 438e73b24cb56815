/// The dimensions of a tensor, outermost first (`[batch, height, width, channels]` for images).
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The size of each dimension.
    public let dimensions: [Int]

    /// Creates a shape; every dimension must be at least 1.
    /// - Throws: ``GlassboxError/invalidShape(_:reason:)`` for an empty, zero or negative dimension.
    public init(_ dimensions: [Int]) throws {
        guard !dimensions.isEmpty else { throw GlassboxError.invalidShape(dimensions, reason: "a shape needs at least one dimension") }
        guard dimensions.allSatisfy({ $0 >= 1 }) else {
            throw GlassboxError.invalidShape(dimensions, reason: "every dimension must be at least 1")
        }
        var product = 1
        for dimension in dimensions {
            let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow, result <= Int(Int32.max) else {
                throw GlassboxError.invalidShape(dimensions, reason: "more than 2^31 - 1 elements")
            }
            product = result
        }
        self.dimensions = dimensions
    }

    /// A shape from literal dimensions, for tests and fixed layer shapes.
    /// Traps on an invalid literal: that is a programming error, not bad input.
    public init(arrayLiteral elements: Int...) {
        do { try self.init(elements) } catch { preconditionFailure("invalid shape literal \(elements): \(error)") }
    }

    /// The number of dimensions.
    public var rank: Int { dimensions.count }

    /// The number of elements: the product of the dimensions.
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// The size of dimension `index`.
    public subscript(index: Int) -> Int { dimensions[index] }

    /// `[32, 28, 28, 1]`.
    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }
}
