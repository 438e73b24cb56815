import Foundation

/// Where tables come from on the command line: an ordinary CSV file with a header row, or
/// scikit-learn's bundled format (``BreastCancerTable``), whose feature names are read from the
/// package's description beside it (`../descr/<name>.rst`). The name `breast-cancer` stands for
/// the copy Debian's `python3-sklearn` installs.
public enum TabularFile {
    /// The name that stands for scikit-learn's breast cancer table.
    public static let breastCancerName = "breast-cancer"

    /// Whether `path` names a table rather than a folder of IDX images: `breast-cancer`, or a
    /// file ending in `.csv`.
    public static func isTable(_ path: String) -> Bool {
        path == breastCancerName || path.lowercased().hasSuffix(".csv")
    }

    /// The table at `path` and, for scikit-learn's format, its class names in label order.
    /// - Throws: ``GlassboxError`` naming the file and line of what does not parse.
    public static func read(_ path: String) throws -> (table: CSVTable, classNames: [String]?, path: String) {
        let path = path == breastCancerName ? BreastCancerTable.defaultCSV : path
        let url = URL(fileURLWithPath: path)
        let data = try FileBytes.read(url)
        if BreastCancerTable.looksLikeScikitLearn(data) {
            let description = url.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("descr").appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".rst")
            guard FileManager.default.fileExists(atPath: description.path) else {
                throw GlassboxError.malformedFile(path: path, offset: nil,
                    reason: "line 1 is scikit-learn's 'rows,features,classes' line, not a header, and its description \(description.path) (the feature names) is missing")
            }
            let (table, classNames) = try BreastCancerTable.table(csv: data, csvPath: path, description: try FileBytes.read(description),
                                                                  descriptionPath: description.path)
            return (table, classNames, path)
        }
        return (try CSVTable(data, path: path), nil, path)
    }

    /// A table for training: `path` split into training and test rows (`testFraction`, seeded), or
    /// `testPath`'s rows as the test part; the label column (default: the last) and its name.
    /// - Throws: ``GlassboxError`` naming the file, line and column of bad input.
    public static func load(_ path: String, label: String? = nil, testFraction: Double = 0.2, seed: UInt64 = 0,
                            testPath: String? = nil) throws -> (data: TabularData, label: String) {
        let train = try read(path)
        let test = try testPath.map { try read($0) }
        let labelName = label ?? train.table.columns.last!
        let data = try TabularData.make(train.table, path: train.path, label: labelName, classNames: train.classNames,
                                        testFraction: testFraction, seed: seed, test: test.map { ($0.table, $0.path) })
        return (data, labelName)
    }
}

extension TabularSchema {
    /// The rows of `table` as model inputs: the schema's feature columns picked by name (in any
    /// order; other columns ignored), standardised; and each row's label cell when the table has
    /// the label column.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming a missing feature
    ///   column, or the line and column of a cell that is not a finite number.
    public func inputs(of table: CSVTable, path: String) throws -> (rows: [Float], raw: [Float], labels: [String]?) {
        let columns = try featureNames.map { name in
            guard let index = table.columns.firstIndex(of: name) else {
                throw GlassboxError.malformedFile(path: path, offset: nil,
                    reason: "no column '\(name)', a feature of the model (its features: \(featureNames.prefix(5).joined(separator: ", "))\(featureNames.count > 5 ? ", ..." : ""))")
            }
            return index
        }
        var raw: [Float] = []
        raw.reserveCapacity(table.rows.count * columns.count)
        for (row, cells) in table.rows.enumerated() {
            for column in columns {
                guard let value = Float(cells[column]), value.isFinite else {
                    throw GlassboxError.malformedFile(path: path, offset: nil,
                        reason: "line \(table.lines[row]), column '\(table.columns[column])': '\(cells[column].prefix(40))' is not a finite number")
                }
                raw.append(value)
            }
        }
        let labelColumn = table.columns.firstIndex(of: label)
        return (standardize(raw), raw, labelColumn.map { c in table.rows.map { $0[c] } })
    }

    /// A schema that leaves values as they are: for a model without one (imported), whose
    /// features are a table's columns other than `label`, in the file's order.
    public static func identity(columns: [String], label: String?) -> TabularSchema {
        let names = columns.filter { $0 != label }
        return TabularSchema(featureNames: names, label: label ?? "",
                             standardization: .init(mean: names.map { _ in 0 }, scale: names.map { _ in 1 }))
    }
}
