import Foundation

/// What a ``SurrogateTree`` splits on.
public enum SurrogateFeatures: Sendable, Equatable {
    /// The mean intensity of each block of a `grid` x `grid` grid (``Segmentation/grid(_:width:height:)``'s
    /// blocks), named `block(row,column)`.
    case pooledBlocks(grid: Int)
    /// Every input value, named `pixel(y,x)` (`pixel(y,x,channel)` for several channels).
    case pixels
    /// A table's columns by name, in the file's units: input value `v` of column `j` is shown
    /// as `v * scale[j] + offset[j]` (undoing the model's standardisation), so rules read
    /// `mean radius <= 15.04`.
    case columns(names: [String], scale: [Float], offset: [Float])
}

/// What a ``SurrogateTree`` imitates.
public enum SurrogateTarget: Sendable, Equatable {
    /// The model's predicted class (the argmax of its outputs): a classification tree.
    case predictedClass
    /// The model's output for one class: a regression tree.
    case probability(ofClass: Int)
}

/// A global surrogate: one decision tree that imitates the model over a set of images, readable
/// as rules (Craven & Shavlik 1996, "Extracting Tree-Structured Representations of Trained
/// Networks"; Molnar, "Interpretable Machine Learning", section "Global Surrogate").
///
/// The tree is CART (Breiman, Friedman, Olshen & Stone 1984, "Classification and Regression
/// Trees", chapters 4 and 8): binary splits `feature <= threshold`, thresholds at the midpoints
/// between consecutive distinct values, each split the one that most lowers the summed impurity
/// of its children: Gini `n (1 - sum_k p_k^2)` when imitating the predicted class, the sum of
/// squared errors (variance reduction) when imitating a probability. Growth stops at `maxDepth`,
/// when a child would hold fewer than `minLeaf` samples, or when no split lowers the impurity.
/// Ties go to the lower feature index, then the lower threshold, so a fit is deterministic.
///
/// The images are shuffled with the seed and split: the tree learns the model's outputs on the
/// training part, and ``fidelity`` measures it on the held-out part: the fraction of images
/// where tree and model agree on the class, or R^2 of the probabilities.
public struct SurrogateTree: Sendable {
    /// One node; the root is `nodes[0]`.
    public struct Node: Sendable, Equatable {
        /// The feature split on; nil for a leaf.
        public internal(set) var feature: Int?
        /// Samples with `feature <= threshold` go to `left`, the rest to `right`.
        public internal(set) var threshold: Double
        public internal(set) var left: Int
        public internal(set) var right: Int
        /// The prediction here: the majority class (as a number) or the mean probability.
        public internal(set) var value: Double
        /// Training samples that reached the node.
        public internal(set) var sampleCount: Int
        /// Training samples per class (classification trees; empty for regression).
        public internal(set) var classCounts: [Int]
    }

    public let nodes: [Node]
    public let features: SurrogateFeatures
    public let target: SurrogateTarget
    /// The name of each feature, e.g. `block(2,3)`.
    public let featureNames: [String]
    /// The model's class names, when it has them.
    public let classNames: [String]?
    /// Agreement with the model on the held-out images: the fraction of equal classes, or R^2.
    public let fidelity: Double
    public let trainingCount: Int
    public let heldOutCount: Int
    /// The model's input shape, `[height, width, channels]`.
    public let inputShape: [Int]
    /// Whether the model's outputs are probabilities (a softmax head) or other scores, for the
    /// rules' wording of a regression target.
    public var outputsAreProbabilities = true

    /// The longest path from the root to a leaf, in splits.
    public var depth: Int {
        func depth(_ i: Int) -> Int { nodes[i].feature == nil ? 0 : 1 + max(depth(nodes[i].left), depth(nodes[i].right)) }
        return depth(0)
    }

    public var leafCount: Int { nodes.filter { $0.feature == nil }.count }

    /// Fits a tree to the model's outputs on `count` images.
    /// - Parameters:
    ///   - session: the model whose outputs the tree imitates, on its backend.
    ///   - images: `count` samples of the model's input shape, back to back.
    ///   - count: how many images.
    ///   - features: what the tree splits on (per-block mean intensities, or pixels).
    ///   - target: the predicted class, or one class's probability.
    ///   - maxDepth: the deepest level of splits.
    ///   - minLeaf: the fewest training images a leaf may hold.
    ///   - heldOutFraction: the share of images kept out of training to measure fidelity.
    ///   - seed: shuffles the images before the split.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for images that do not fit the
    ///   model, fewer than 2 images, a depth or leaf size below 1, a fraction that leaves no
    ///   training or held-out image, a class outside the model's, or a grid that does not fit.
    /// - Complexity: one forward pass per image, then O(F n log n) per tree level for F features
    ///   and n training images.
    public static func fit(session: InferenceSession, images: [Float], count: Int, features: SurrogateFeatures,
                           target: SurrogateTarget = .predictedClass, maxDepth: Int = 5, minLeaf: Int = 5,
                           heldOutFraction: Double = 0.2, seed: UInt64 = 0) throws -> SurrogateTree {
        let model = session.model
        func invalid(_ reason: String) -> GlassboxError { .invalidArgument(operation: "surrogate tree", reason: reason) }
        guard count >= 2, images.count == count * model.sampleSize else {
            throw invalid("\(images.count) values are not \(count) >= 2 images of shape \(model.inputShape)")
        }
        guard (1...64).contains(maxDepth), (1...count).contains(minLeaf) else {
            throw invalid("max depth \(maxDepth) must be from 1 to 64, and min leaf \(minLeaf) from 1 to the \(count) images")
        }
        guard heldOutFraction > 0, heldOutFraction < 1 else { throw invalid("held-out fraction \(heldOutFraction) must be in (0, 1)") }
        let classes = model.outputCount
        if case .probability(let k) = target, !(0..<classes).contains(k) { throw invalid("class \(k) is not in 0..<\(classes)") }
        let (x, names) = try featureMatrix(images, count: count, shape: model.inputShape, features: features)
        let featureCount = names.count

        let outputs = try session.predict(images)
        let responses: [Double] = (0..<count).map { i in
            let row = outputs[(i * classes)..<((i + 1) * classes)]
            switch target {
            case .predictedClass: return Double(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - i * classes)
            case .probability(let k): return Double(row[row.startIndex + k])
            }
        }
        var random = SeededGenerator(seed: seed)
        let order = (0..<count).shuffled(using: &random)
        let heldOut = min(max(Int((Double(count) * heldOutFraction).rounded()), 1), count - 1)
        let testRows = Array(order.prefix(heldOut)), trainRows = Array(order.dropFirst(heldOut))

        var builder = Builder(x: x, featureCount: featureCount, responses: responses,
                              classes: target == .predictedClass ? classes : 0, maxDepth: maxDepth, minLeaf: minLeaf)
        _ = builder.grow(trainRows, depth: 0)
        var tree = SurrogateTree(nodes: builder.nodes, features: features, target: target, featureNames: names,
                                 classNames: model.classNames, fidelity: 0, trainingCount: trainRows.count,
                                 heldOutCount: testRows.count, inputShape: model.inputShape, outputsAreProbabilities: model.endsInSoftmax)
        let predictions = testRows.map { tree.predict(features: Array(x[($0 * featureCount)..<(($0 + 1) * featureCount)])) }
        let truths = testRows.map { responses[$0] }
        tree = tree.with(fidelity: target == .predictedClass
            ? Double(zip(predictions, truths).filter { $0 == $1 }.count) / Double(testRows.count)
            : Self.r2(predictions, truths))
        return tree
    }

    /// The tree's prediction for one feature vector: the class index (as a number) or the probability.
    public func predict(features values: [Float]) -> Double {
        precondition(values.count == featureNames.count, "\(values.count) feature values for \(featureNames.count) features")
        var node = nodes[0]
        while let feature = node.feature { node = nodes[Double(values[feature]) <= node.threshold ? node.left : node.right] }
        return node.value
    }

    /// The tree's prediction for one image of the model's input shape.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for an image of another size.
    public func predict(image: [Float]) throws -> Double { predict(features: try featureValues(of: image)) }

    /// The features of one image of the model's input shape.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for an image of another size.
    public func featureValues(of image: [Float]) throws -> [Float] {
        guard image.count == inputShape.reduce(1, *) else {
            throw GlassboxError.invalidArgument(operation: "surrogate tree", reason: "the image has \(image.count) values, the model takes \(inputShape)")
        }
        return try Self.featureMatrix(image, count: 1, shape: inputShape, features: features).values
    }

    /// The tree as indented if/else rules, one line per test or leaf, under a summary line.
    /// - Parameter names: names for class indices; by default the model's, else `class k`.
    public func rules(classNames names: [String]? = nil) -> String {
        var lines = ["# imitates \(targetText(names)) by \(featureText): \(fidelityText) on \(heldOutCount) held-out \(sampleNoun), depth \(depth), \(leafCount) leaves"]
        func visit(_ i: Int, _ indent: String) {
            let node = nodes[i]
            guard let feature = node.feature else { lines.append(indent + "-> " + leafText(node, names)); return }
            lines.append("\(indent)if \(featureNames[feature]) <= \(Self.format(node.threshold)):")
            visit(node.left, indent + "    ")
            lines.append("\(indent)else:  # \(featureNames[feature]) > \(Self.format(node.threshold))")
            visit(node.right, indent + "    ")
        }
        visit(0, "")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The tree as a Graphviz DOT diagram: tests in boxes, leaves shaded, edges `yes` (`<=`) and `no`.
    /// - Parameter names: names for class indices; by default the model's, else `class k`.
    public func dot(classNames names: [String]? = nil) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var lines = [
            "digraph surrogate {",
            "    graph [fontname=\"Helvetica\", label=\(quoted(fidelityText)), labelloc=t];",
            "    node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, fillcolor=\"#f4f6fb\"];",
            "    edge [fontname=\"Helvetica\", fontsize=10];",
        ]
        for (i, node) in nodes.enumerated() {
            if let feature = node.feature {
                lines.append("    n\(i) [label=\(quoted("\(featureNames[feature]) <= \(Self.format(node.threshold))\n\(node.sampleCount) samples"))];")
                lines.append("    n\(i) -> n\(node.left) [label=\"yes\"];")
                lines.append("    n\(i) -> n\(node.right) [label=\"no\"];")
            } else {
                lines.append("    n\(i) [label=\(quoted(leafText(node, names).replacingOccurrences(of: " (", with: "\n("))), fillcolor=\"#dcefdc\"];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Text

    private func className(_ k: Int, _ names: [String]?) -> String {
        let names = names ?? classNames
        return names.map { k < $0.count ? $0[k] : "class \(k)" } ?? "class \(k)"
    }

    private func targetText(_ names: [String]?) -> String {
        switch target {
        case .predictedClass: return "the predicted class"
        case .probability(let k): return (outputsAreProbabilities ? "p" : "score") + "(\(className(k, names)))"
        }
    }

    private var fidelityText: String {
        "fidelity \(String(format: "%.3f", fidelity)) (\(target == .predictedClass ? "agreement" : "R^2"))"
    }

    /// What the samples are: table rows or images.
    private var sampleNoun: String {
        if case .columns = features { return "rows" }
        return "images"
    }

    private var featureText: String {
        switch features {
        case .pooledBlocks(let grid): return "mean intensity of \(grid)x\(grid) blocks"
        case .pixels: return "pixel values"
        case .columns(let names, _, _): return "\(names.count) columns"
        }
    }

    private func leafText(_ node: Node, _ names: [String]?) -> String {
        switch target {
        case .predictedClass:
            let k = Int(node.value)
            return "\(className(k, names)) (\(node.classCounts[k]) of \(node.sampleCount))"
        case .probability:
            return "\(targetText(names)) = \(Self.format(node.value)) (\(node.sampleCount) samples)"
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }

    // MARK: - Fitting

    private func with(fidelity: Double) -> SurrogateTree {
        SurrogateTree(nodes: nodes, features: features, target: target, featureNames: featureNames, classNames: classNames,
                      fidelity: fidelity, trainingCount: trainingCount, heldOutCount: heldOutCount, inputShape: inputShape,
                      outputsAreProbabilities: outputsAreProbabilities)
    }

    /// R^2 as scikit-learn's `r2_score`: 1 for a perfect fit of constant truths, else 0 for those.
    static func r2(_ predictions: [Double], _ truths: [Double]) -> Double {
        let mean = truths.reduce(0, +) / Double(truths.count)
        let residual = zip(predictions, truths).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = truths.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return total > 0 ? 1 - residual / total : (residual == 0 ? 1 : 0)
    }

    /// The features of `count` images (row-major, `count x F`) and their names.
    static func featureMatrix(_ images: [Float], count: Int, shape: [Int], features: SurrogateFeatures) throws -> (values: [Float], names: [String]) {
        let size = shape.reduce(1, *)
        switch features {
        case .columns(let names, let scale, let offset):
            guard shape == [names.count], scale.count == names.count, offset.count == names.count else {
                throw GlassboxError.invalidArgument(operation: "surrogate tree", reason: "\(names.count) columns for a model taking \(shape)")
            }
            return (images.enumerated().map { i, v in v * scale[i % names.count] + offset[i % names.count] }, names)
        case .pixels:
            let names: [String] = shape.count == 3
                ? (0..<size).map { i in
                    let (pixel, channel) = (i / shape[2], i % shape[2])
                    return shape[2] == 1 ? "pixel(\(pixel / shape[1]),\(pixel % shape[1]))" : "pixel(\(pixel / shape[1]),\(pixel % shape[1]),\(channel))"
                }
                : (0..<size).map { "value(\($0))" }
            return (images, names)
        case .pooledBlocks(let grid):
            guard shape.count == 3 else {
                throw GlassboxError.invalidArgument(operation: "surrogate tree", reason: "pooled blocks need an image model (height x width x channels), not \(shape)")
            }
            let (height, width, channels) = (shape[0], shape[1], shape[2])
            guard (1...min(width, height)).contains(grid) else {
                throw GlassboxError.invalidArgument(operation: "surrogate features blocks:\(grid)",
                    reason: "the grid must be from 1 to \(min(width, height)) blocks a side for \(width)x\(height) images")
            }
            let blocks = try Segmentation.grid(grid, width: width, height: height)
            let sizes = blocks.pixelsOfSegment.map { Double($0.count * channels) }
            var values = [Float](repeating: 0, count: count * blocks.count)
            var sums = [Double](repeating: 0, count: blocks.count)
            for image in 0..<count {
                for b in 0..<blocks.count { sums[b] = 0 }
                for (pixel, block) in blocks.segmentOfPixel.enumerated() {
                    for c in 0..<channels { sums[block] += Double(images[image * size + pixel * channels + c]) }
                }
                for b in 0..<blocks.count { values[image * blocks.count + b] = Float(sums[b] / sizes[b]) }
            }
            return (values, (0..<blocks.count).map { "block(\($0 / grid),\($0 % grid))" })
        }
    }

    /// Grows a CART tree depth-first; `classes` 0 means regression.
    private struct Builder {
        let x: [Float]
        let featureCount: Int
        let responses: [Double]
        let classes: Int
        let maxDepth: Int
        let minLeaf: Int
        var nodes: [Node] = []

        /// Adds the subtree of `rows` and returns its root's index.
        mutating func grow(_ rows: [Int], depth: Int) -> Int {
            let index = nodes.count
            var counts = [Int](repeating: 0, count: classes)
            var sum = 0.0, sumOfSquares = 0.0
            for row in rows {
                if classes > 0 { counts[Int(responses[row])] += 1 } else { sum += responses[row]; sumOfSquares += responses[row] * responses[row] }
            }
            let n = Double(rows.count)
            let value: Double, impurity: Double
            if classes > 0 {
                value = Double(counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!)
                impurity = n - counts.reduce(0) { $0 + Double($1 * $1) } / n
            } else {
                value = sum / n
                impurity = max(0, sumOfSquares - sum * sum / n)
            }
            nodes.append(Node(feature: nil, threshold: 0, left: -1, right: -1, value: value, sampleCount: rows.count, classCounts: counts))
            guard depth < maxDepth, rows.count >= 2 * minLeaf, impurity > 0,
                  let split = bestSplit(rows, impurity: impurity) else { return index }
            let left = rows.filter { Double(x[$0 * featureCount + split.feature]) <= split.threshold }
            let right = rows.filter { Double(x[$0 * featureCount + split.feature]) > split.threshold }
            nodes[index].feature = split.feature
            nodes[index].threshold = split.threshold
            nodes[index].left = grow(left, depth: depth + 1)
            nodes[index].right = grow(right, depth: depth + 1)
            return index
        }

        /// The split with the lowest summed child impurity, if it is clearly below `impurity`.
        func bestSplit(_ rows: [Int], impurity: Double) -> (feature: Int, threshold: Double)? {
            var best: (feature: Int, threshold: Double, score: Double)?
            let n = rows.count
            for feature in 0..<featureCount {
                let sorted = rows.sorted { x[$0 * featureCount + feature] < x[$1 * featureCount + feature] }
                var leftCounts = [Int](repeating: 0, count: classes), rightCounts = [Int](repeating: 0, count: classes)
                var leftSquares = 0.0, rightSquares = 0.0   // sums of squared class counts
                var leftSum = 0.0, leftSquareSum = 0.0, rightSum = 0.0, rightSquareSum = 0.0
                for row in sorted {
                    if classes > 0 { rightCounts[Int(responses[row])] += 1 } else { rightSum += responses[row]; rightSquareSum += responses[row] * responses[row] }
                }
                if classes > 0 { rightSquares = rightCounts.reduce(0) { $0 + Double($1 * $1) } }
                for i in 0..<(n - 1) {
                    let response = responses[sorted[i]]
                    if classes > 0 {
                        let k = Int(response)
                        leftSquares += Double(2 * leftCounts[k] + 1)
                        rightSquares -= Double(2 * rightCounts[k] - 1)
                        leftCounts[k] += 1
                        rightCounts[k] -= 1
                    } else {
                        leftSum += response; leftSquareSum += response * response
                        rightSum -= response; rightSquareSum -= response * response
                    }
                    let here = x[sorted[i] * featureCount + feature], next = x[sorted[i + 1] * featureCount + feature]
                    let leftCount = Double(i + 1), rightCount = Double(n - i - 1)
                    guard here < next, i + 1 >= minLeaf, n - i - 1 >= minLeaf else { continue }
                    let score = classes > 0
                        ? (leftCount - leftSquares / leftCount) + (rightCount - rightSquares / rightCount)
                        : max(0, leftSquareSum - leftSum * leftSum / leftCount) + max(0, rightSquareSum - rightSum * rightSum / rightCount)
                    if score < (best?.score ?? .infinity) {
                        best = (feature, (Double(here) + Double(next)) / 2, score)
                    }
                }
            }
            guard let best, best.score < impurity * (1 - 1e-10) else { return nil }
            return (best.feature, best.threshold)
        }
    }
}
