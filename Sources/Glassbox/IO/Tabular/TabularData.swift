import Foundation

/// A classification table in memory: numeric features by name and a class per row, split into a
/// training and a test part. Features are stored raw (as in the file), row after row
/// (`count * featureCount` values); ``Standardization`` computed on the training part turns them
/// into what a model takes.
public struct TabularData: Sendable {
    /// The feature (column) names, in order.
    public let featureNames: [String]
    /// The name of each class, indexed by label.
    public let classNames: [String]
    /// `trainCount * featureCount` raw feature values.
    public let trainFeatures: [Float]
    /// `trainCount` class indices.
    public let trainLabels: [Float]
    /// `testCount * featureCount` raw feature values.
    public let testFeatures: [Float]
    /// `testCount` class indices.
    public let testLabels: [Float]

    /// The number of features per row.
    public var featureCount: Int { featureNames.count }
    /// The number of training rows.
    public var trainCount: Int { trainLabels.count }
    /// The number of test rows.
    public var testCount: Int { testLabels.count }

    /// Per-feature mean and scale of the training part: a model sees `(x - mean) / scale`.
    public struct Standardization: Sendable, Equatable {
        public let mean: [Float]
        /// The population standard deviation, or 1 where a feature is constant.
        public let scale: [Float]

        /// `rows` (row after row) standardised.
        public func apply(_ rows: [Float]) -> [Float] {
            rows.enumerated().map { index, value in (value - mean[index % mean.count]) / scale[index % mean.count] }
        }
    }

    /// The training part's standardisation (means and standard deviations in double precision).
    public var standardization: Standardization {
        let n = Double(max(trainCount, 1))
        var mean = [Double](repeating: 0, count: featureCount), square = [Double](repeating: 0, count: featureCount)
        for (index, value) in trainFeatures.enumerated() { mean[index % featureCount] += Double(value) / n }
        for (index, value) in trainFeatures.enumerated() {
            let d = Double(value) - mean[index % featureCount]
            square[index % featureCount] += d * d / n
        }
        return Standardization(mean: mean.map(Float.init), scale: square.map { $0 > 0 ? Float($0.squareRoot()) : 1 })
    }

    /// Reads `table`'s rows as features and a label.
    /// - Parameters:
    ///   - table: The training rows (all rows when `test` is nil).
    ///   - path: The file `table` came from, for errors.
    ///   - label: The label column's name (nil: the last column).
    ///   - given: The classes in label order when the file has integers 0..<k for them (an
    ///     adapter's knowledge); nil: the distinct labels in ascending order (numbers by value).
    ///   - testFraction: The share of rows held out for testing (at least one row on each side).
    ///   - seed: The seed of the held-out draw.
    ///   - test: A second table (same columns) as the test part instead of a held-out share.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming the line and column
    ///   of a non-numeric or non-finite feature, a missing label column, a test label unseen in
    ///   training, or a table too small to split.
    public static func make(_ table: CSVTable, path: String, label: String? = nil, classNames given: [String]? = nil,
                            testFraction: Double = 0.2, seed: UInt64 = 0, test: (table: CSVTable, path: String)? = nil) throws -> TabularData {
        func bad(_ path: String, _ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: reason) }
        let labelName = label ?? table.columns.last!
        guard let labelColumn = table.columns.firstIndex(of: labelName) else {
            throw bad(path, "no label column '\(labelName)' (columns: \(table.columns.joined(separator: ", ")))")
        }
        guard table.columns.count >= 2 else { throw bad(path, "only the label column '\(labelName)': no features") }
        if let test, test.table.columns != table.columns {
            throw bad(test.path, "its columns differ from \(path)'s (\(test.table.columns.prefix(5).joined(separator: ", "))...)")
        }
        let featureNames = table.columns.enumerated().filter { $0.offset != labelColumn }.map(\.element)

        func features(_ table: CSVTable, _ path: String) throws -> [Float] {
            var values: [Float] = []
            values.reserveCapacity(table.rows.count * featureNames.count)
            for (row, cells) in table.rows.enumerated() {
                for (column, cell) in cells.enumerated() where column != labelColumn {
                    guard let value = Float(cell), value.isFinite else {
                        throw bad(path, "line \(table.lines[row]), column '\(table.columns[column])': '\(cell.prefix(40))' is not a finite number")
                    }
                    values.append(value)
                }
            }
            return values
        }
        // The classes: given, or the distinct labels of the training rows in ascending order.
        let trainCells = table.rows.map { $0[labelColumn] }
        let classNames: [String]
        if let given {
            classNames = given
        } else if trainCells.allSatisfy({ Double($0) != nil }) {
            classNames = Set(trainCells).sorted { Double($0)! < Double($1)! }
        } else {
            classNames = Set(trainCells).sorted()
        }
        guard classNames.count >= 2 else { throw bad(path, "column '\(labelName)' holds one class only (\(classNames.first ?? "")): nothing to classify") }
        func labels(_ table: CSVTable, _ path: String) throws -> [Float] {
            try table.rows.enumerated().map { row, cells in
                let cell = cells[labelColumn]
                if let index = classNames.firstIndex(of: cell) { return Float(index) }
                if given != nil, let index = Int(cell), classNames.indices.contains(index) { return Float(index) }
                throw bad(path, "line \(table.lines[row]), column '\(labelName)': label '\(cell.prefix(40))' is not among the training labels (\(classNames.prefix(10).joined(separator: ", ")))")
            }
        }
        var trainFeatures = try features(table, path), trainLabels = try labels(table, path)
        var testFeatures: [Float] = [], testLabels: [Float] = []
        if let test {
            testFeatures = try features(test.table, test.path)
            testLabels = try labels(test.table, test.path)
        } else {
            guard testFraction > 0, testFraction < 1 else {
                throw GlassboxError.invalidArgument(operation: "tabular split", reason: "--test-split must be between 0 and 1 (got \(testFraction))")
            }
            let count = table.rows.count, held = Int((Double(count) * testFraction).rounded())
            guard held >= 1, held < count else { throw bad(path, "\(count) rows cannot be split \(testFraction) for testing (one row at least on each side)") }
            var generator = SeededGenerator(seed: seed)
            var order = Array(0..<count)
            order.shuffle(using: &generator)
            let testRows = Set(order.prefix(held))
            let f = featureNames.count
            let (allFeatures, allLabels) = (trainFeatures, trainLabels)
            trainFeatures = []; trainLabels = []
            for row in 0..<count {
                if testRows.contains(row) {
                    testFeatures += allFeatures[row * f..<(row + 1) * f]
                    testLabels.append(allLabels[row])
                } else {
                    trainFeatures += allFeatures[row * f..<(row + 1) * f]
                    trainLabels.append(allLabels[row])
                }
            }
        }
        return TabularData(featureNames: featureNames, classNames: classNames, trainFeatures: trainFeatures, trainLabels: trainLabels,
                           testFeatures: testFeatures, testLabels: testLabels)
    }
}
