import Foundation

/// The Wisconsin diagnostic breast cancer table as Debian's `python3-sklearn` ships it
/// (`sklearn/datasets/data/breast_cancer.csv`): a first line of counts and class names
/// (`569,30,malignant,benign`) instead of a header, then rows of 30 features and a target 0 or 1.
/// The feature names come from the package's `descr/breast_cancer.rst`, whose summary table lists
/// `radius (mean)`, `radius (standard error)`, `radius (worst)`, ...; they are given the names
/// scikit-learn's `load_breast_cancer` uses (`mean radius`, `radius error`, `worst radius`).
public enum BreastCancerTable {
    /// Where `python3-sklearn` installs the table.
    public static let defaultCSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv"
    /// Where `python3-sklearn` installs the table's description (the feature names).
    public static let defaultDescription = "/usr/lib/python3/dist-packages/sklearn/datasets/descr/breast_cancer.rst"

    /// Whether `data` starts like scikit-learn's bundled CSV files: `rows,features,class,...`.
    public static func looksLikeScikitLearn(_ data: Data) -> Bool {
        guard let line = String(data: data.prefix(256), encoding: .utf8)?.split(separator: "\n").first else { return false }
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return cells.count >= 4 && Int(cells[0]) != nil && Int(cells[1]) != nil && cells[2...].allSatisfy { !$0.isEmpty && Double($0) == nil }
    }

    /// The table with a header of feature names and a `target` label column (0, 1), and its class
    /// names in label order.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` when the first line, the
    ///   description's feature list or a row does not match the counts the first line declares.
    public static func table(csv: Data, csvPath: String, description: Data, descriptionPath: String) throws -> (table: CSVTable, classNames: [String]) {
        guard let text = String(data: csv, encoding: .utf8) else {
            throw GlassboxError.malformedFile(path: csvPath, offset: nil, reason: "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw GlassboxError.malformedFile(path: csvPath, offset: nil, reason: "empty") }
        let counts = first.split(separator: ",").map(String.init)
        guard counts.count >= 4, let rows = Int(counts[0]), let features = Int(counts[1]), rows >= 1, features >= 1 else {
            throw GlassboxError.malformedFile(path: csvPath, offset: nil, reason: "line 1: expected 'rows,features,class names...', got '\(first.prefix(60))'")
        }
        let classNames = Array(counts[2...])
        let names = try featureNames(description, path: descriptionPath)
        guard names.count == features else {
            throw GlassboxError.malformedFile(path: descriptionPath, offset: nil,
                reason: "lists \(names.count) features, but \(csvPath) declares \(features)")
        }
        guard lines.count - 1 == rows else {
            throw GlassboxError.malformedFile(path: csvPath, offset: nil, reason: "line 1 declares \(rows) rows, the file has \(lines.count - 1)")
        }
        let table = try CSVTable(Data((["\"" + (names + ["target"]).joined(separator: "\",\"") + "\""] + lines.dropFirst()).joined(separator: "\n").utf8), path: csvPath)
        return (table, classNames)
    }

    /// The feature names of the description's summary table: `radius (mean):` becomes
    /// `mean radius`, `radius (standard error):` becomes `radius error`, `radius (worst):`
    /// becomes `worst radius`.
    static func featureNames(_ description: Data, path: String) throws -> [String] {
        guard let text = String(data: description, encoding: .utf8) else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "not UTF-8 text")
        }
        var names: [String] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let colon = trimmed.firstIndex(of: ":"), let open = trimmed[..<colon].lastIndex(of: "("),
                  trimmed[..<colon].hasSuffix(")") else { continue }
            let base = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            let kind = trimmed[trimmed.index(after: open)..<trimmed.index(before: colon)]
            switch kind {
            case "mean": names.append("mean \(base)")
            case "standard error": names.append("\(base) error")
            case "worst": names.append("worst \(base)")
            default: continue
            }
        }
        guard !names.isEmpty else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "no summary table of 'feature (mean|standard error|worst):' lines")
        }
        return names
    }
}
