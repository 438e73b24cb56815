/// How an image is cut into the features an explainer attributes to: each pixel belongs to one
/// segment, numbered `0..<count`.
public struct Segmentation: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// The segment of each pixel, row-major.
    public let segmentOfPixel: [Int]
    /// The number of segments.
    public let count: Int

    /// Segment ids must cover `0..<count` with no gaps.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the map does not fit.
    public init(width: Int, height: Int, segmentOfPixel: [Int]) throws {
        guard width >= 1, height >= 1, segmentOfPixel.count == width * height else {
            throw GlassboxError.invalidArgument(operation: "segments",
                reason: "a \(width)x\(height) image needs \(width * height) segment ids, got \(segmentOfPixel.count)")
        }
        let ids = Set(segmentOfPixel)
        guard ids == Set(0..<ids.count) else {
            throw GlassboxError.invalidArgument(operation: "segments", reason: "segment ids must be 0..<\(ids.count) without gaps")
        }
        self.width = width
        self.height = height
        self.segmentOfPixel = segmentOfPixel
        self.count = ids.count
    }

    /// A `grid` x `grid` grid of equal blocks, numbered row-major; blocks in the last row and
    /// column absorb the remainder when the size is no multiple of `grid`.
    public static func grid(_ grid: Int, width: Int, height: Int) throws -> Segmentation {
        guard grid >= 1, grid <= width, grid <= height else {
            throw GlassboxError.invalidArgument(operation: "segments grid:\(grid)",
                reason: "a grid must have between 1 and \(min(width, height)) cells per side for a \(width)x\(height) image")
        }
        let blockWidth = width / grid, blockHeight = height / grid
        var ids = [Int](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { ids[y * width + x] = min(y / blockHeight, grid - 1) * grid + min(x / blockWidth, grid - 1) }
        }
        return try Segmentation(width: width, height: height, segmentOfPixel: ids)
    }

    /// A user's segment map (e.g. read from a PGM or PNG): any distinct values become segments,
    /// numbered in increasing order of value.
    public static func map(_ values: [Int], width: Int, height: Int) throws -> Segmentation {
        let order = Array(Set(values)).sorted()
        let index = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return try Segmentation(width: width, height: height, segmentOfPixel: values.map { index[$0]! })
    }

    /// SLIC-style superpixels on intensity (Achanta et al. 2012, "SLIC Superpixels Compared to
    /// State-of-the-Art Superpixel Methods", Algorithm 1, with intensity in place of CIELAB):
    /// about `target` clusters seeded on a regular grid, each pixel assigned to the nearest
    /// centre within 2S by `sqrt((dI / m)^2 + (dxy / S)^2)`, ten iterations, then every
    /// disconnected piece merged into a neighbouring segment and the ids compacted.
    /// - Parameters:
    ///   - target: about how many segments.
    ///   - image: intensities in [0, 1], row-major.
    ///   - width: the image's width.
    ///   - height: the image's height.
    ///   - compactness: `m`, the weight of intensity against distance.
    public static func superpixels(_ target: Int, image: [Float], width: Int, height: Int, compactness: Double = 0.1) throws -> Segmentation {
        guard target >= 1, target <= width * height, image.count == width * height else {
            throw GlassboxError.invalidArgument(operation: "segments superpixels:\(target)",
                reason: "needs 1 to \(width * height) superpixels for a \(width)x\(height) image")
        }
        let step = max(1.0, (Double(width * height) / Double(target)).squareRoot())
        // Seeds on a regular grid: at least one per axis, centred in equal cells.
        let rows = max(1, Int((Double(height) / step).rounded())), columns = max(1, Int((Double(width) / step).rounded()))
        var centres: [(y: Double, x: Double, value: Double)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let y = (Double(r) + 0.5) * Double(height) / Double(rows), x = (Double(c) + 0.5) * Double(width) / Double(columns)
                centres.append((y, x, Double(image[min(Int(y), height - 1) * width + min(Int(x), width - 1)])))
            }
        }
        var label = [Int](repeating: 0, count: width * height)
        for _ in 0..<10 {
            var best = [Double](repeating: .infinity, count: width * height)
            for (k, centre) in centres.enumerated() {
                let y0 = max(0, Int(centre.y - 2 * step)), y1 = min(height - 1, Int(centre.y + 2 * step))
                let x0 = max(0, Int(centre.x - 2 * step)), x1 = min(width - 1, Int(centre.x + 2 * step))
                guard y0 <= y1, x0 <= x1 else { continue }
                for py in y0...y1 {
                    for px in x0...x1 {
                        let dI = (Double(image[py * width + px]) - centre.value) / compactness
                        let dy = (Double(py) - centre.y) / step, dx = (Double(px) - centre.x) / step
                        let distance = dI * dI + dy * dy + dx * dx
                        if distance < best[py * width + px] { best[py * width + px] = distance; label[py * width + px] = k }
                    }
                }
            }
            var sums = [(y: Double, x: Double, value: Double, count: Double)](repeating: (0, 0, 0, 0), count: centres.count)
            for p in 0..<(width * height) {
                let k = label[p]
                sums[k].y += Double(p / width); sums[k].x += Double(p % width)
                sums[k].value += Double(image[p]); sums[k].count += 1
            }
            for k in centres.indices where sums[k].count > 0 {
                centres[k] = (sums[k].y / sums[k].count, sums[k].x / sums[k].count, sums[k].value / sums[k].count)
            }
        }
        let minimum = max(1, Int(step * step / 4))
        return try Segmentation(width: width, height: height,
                                segmentOfPixel: connectedRelabel(label, width: width, height: height, minimumSize: minimum))
    }

    /// Splits labels into 4-connected pieces, merges pieces smaller than `minimumSize` pixels (a
    /// quarter of a superpixel's expected area) into a neighbouring piece, repeatedly until none
    /// is left or nothing changes, and numbers the result 0..<M in scan order.
    static func connectedRelabel(_ label: [Int], width: Int, height: Int, minimumSize: Int) -> [Int] {
        var piece = [Int](repeating: -1, count: label.count)
        var sizes: [Int] = []
        for start in 0..<label.count where piece[start] < 0 {
            let id = sizes.count
            var stack = [start], size = 0
            piece[start] = id
            while let p = stack.popLast() {
                size += 1
                let (py, px) = (p / width, p % width)
                for (ny, nx) in [(py - 1, px), (py + 1, px), (py, px - 1), (py, px + 1)]
                where ny >= 0 && ny < height && nx >= 0 && nx < width {
                    let q = ny * width + nx
                    if piece[q] < 0 && label[q] == label[p] { piece[q] = id; stack.append(q) }
                }
            }
            sizes.append(size)
        }
        // Merge small pieces into a neighbour, growing merged sizes as they go.
        var owner = Array(0..<sizes.count)
        func root(_ id: Int) -> Int { var id = id; while owner[id] != id { id = owner[id] }; return id }
        var size = sizes
        var changed = true
        while changed {
            changed = false
            for p in 0..<label.count {
                let r = root(piece[p])
                guard size[r] < minimumSize else { continue }
                let (py, px) = (p / width, p % width)
                for (ny, nx) in [(py - 1, px), (py, px - 1), (py + 1, px), (py, px + 1)] where ny >= 0 && ny < height && nx >= 0 && nx < width {
                    let other = root(piece[ny * width + nx])
                    if other != r {
                        owner[r] = other
                        size[other] += size[r]
                        changed = true
                        break
                    }
                }
            }
        }
        var compact: [Int: Int] = [:]
        return piece.map { id in
            let r = root(id)
            if let c = compact[r] { return c }
            compact[r] = compact.count
            return compact[r]!
        }
    }

    /// Parses `grid:G` or `superpixels:N` (the CLI's `--segments`); a segment map file is read by
    /// the caller.
    public static func parse(_ text: String, image: [Float], width: Int, height: Int) throws -> Segmentation {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Int(parts[1]) else {
            throw GlassboxError.invalidArgument(operation: "--segments", reason: "'\(text)' is not grid:G or superpixels:N")
        }
        switch parts[0] {
        case "grid": return try grid(value, width: width, height: height)
        case "superpixels": return try superpixels(value, image: image, width: width, height: height)
        default: throw GlassboxError.invalidArgument(operation: "--segments", reason: "unknown kind '\(parts[0])' (use grid:G or superpixels:N)")
        }
    }

    /// The pixels of each segment.
    public var pixelsOfSegment: [[Int]] {
        var result = [[Int]](repeating: [], count: count)
        for (pixel, segment) in segmentOfPixel.enumerated() { result[segment].append(pixel) }
        return result
    }

    /// Spreads per-segment values over the pixels (each pixel gets its segment's value).
    public func pixelMap(_ values: [Double]) -> [Double] { segmentOfPixel.map { values[$0] } }
}
