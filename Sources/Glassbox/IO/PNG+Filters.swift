import Foundation

extension PNG {
    /// Undoes PNG's per-scanline filters (PNG spec, section 9.2): each row is a filter-type byte
    /// then `rowBytes` filtered bytes; None, Sub, Up, Average and Paeth predict each byte from
    /// the one `bytesPerPixel` to its left (a), the one above (b) and the one above-left (c).
    /// - Parameters:
    ///   - scanlines: `rows * (1 + rowBytes)` decompressed bytes.
    ///   - bytesPerPixel: How far left "left" is: the channel count at bit depth 8.
    /// - Returns: `rows * rowBytes` samples.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` for an unknown filter type,
    ///   naming the row (counted from 0) and the offset in the decompressed data.
    static func unfilter(_ scanlines: [UInt8], rows: Int, rowBytes: Int, bytesPerPixel: Int, path: String) throws -> [UInt8] {
        precondition(scanlines.count == rows * (rowBytes + 1), "scanline size checked by the caller")
        var samples = [UInt8](repeating: 0, count: rows * rowBytes)
        for row in 0 ..< rows {
            let filterOffset = row * (rowBytes + 1)
            let filter = scanlines[filterOffset]
            let input = filterOffset + 1
            let output = row * rowBytes
            for column in 0 ..< rowBytes {
                let a = column >= bytesPerPixel ? Int(samples[output + column - bytesPerPixel]) : 0
                let b = row > 0 ? Int(samples[output - rowBytes + column]) : 0
                let c = row > 0 && column >= bytesPerPixel ? Int(samples[output - rowBytes + column - bytesPerPixel]) : 0
                let prediction: Int
                switch filter {
                case 0: prediction = 0
                case 1: prediction = a
                case 2: prediction = b
                case 3: prediction = (a + b) / 2
                case 4: prediction = paeth(a, b, c)
                default:
                    throw GlassboxError.malformedFile(
                        path: path, offset: nil,
                        reason: "unknown filter type \(filter) on row \(row) (byte \(filterOffset) of the decompressed data); types are 0 to 4")
                }
                samples[output + column] = UInt8(truncatingIfNeeded: Int(scanlines[input + column]) + prediction)
            }
        }
        return samples
    }

    /// The Paeth predictor (PNG spec, section 9.4): whichever of left, above and above-left is
    /// closest to `a + b - c`, ties going in that order.
    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let estimate = a + b - c
        let distanceA = abs(estimate - a), distanceB = abs(estimate - b), distanceC = abs(estimate - c)
        if distanceA <= distanceB && distanceA <= distanceC { return a }
        return distanceB <= distanceC ? b : c
    }
}
