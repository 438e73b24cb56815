import Foundation

/// A table of numbers read from CSV text (RFC 4180): a header row of column names, then one row
/// of numeric cells per sample. Fields may be quoted (`"a, b"`, `""` for a quote); lines end in
/// LF or CRLF; blank lines are skipped; cells are trimmed of spaces.
///
/// The label column may hold numbers or names (`malignant`); every other cell must be a finite
/// number. Errors name the file, the line (1-based, as an editor shows it) and the column.
public struct CSVTable: Sendable {
    /// The column names of the header row, in order.
    public let columns: [String]
    /// The cells, row after row, as text (trimmed, quotes removed).
    public let rows: [[String]]
    /// The line of the file each row came from (1-based).
    public let lines: [Int]

    /// The largest file Glassbox reads as CSV: 1 GiB.
    public static let largestFile = 1 << 30

    /// Parses CSV text; `path` names the file in errors.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` for an empty file, a header
    ///   with an empty or repeated name, a row whose cell count differs from the header's, or an
    ///   unterminated quote, naming the line.
    public init(_ data: Data, path: String) throws {
        func bad(_ line: Int, _ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: "line \(line): \(reason)") }
        guard data.count <= Self.largestFile else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "\(data.count) bytes is more than the \(Self.largestFile) read as CSV")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "not UTF-8 text")
        }
        var records: [(line: Int, cells: [String])] = []
        var cells: [String] = [], cell = "", quoted = false, line = 1, recordLine = 1, cellWasQuoted = false
        var characters = Array(text.unicodeScalars)
        if characters.first == "\u{FEFF}" { characters.removeFirst() }   // a byte-order mark
        var index = 0
        func endCell() {
            cells.append(cellWasQuoted ? cell : cell.trimmingCharacters(in: .whitespaces))
            cell = ""
            cellWasQuoted = false
        }
        func endRecord() {
            endCell()
            if !(cells.count == 1 && cells[0].isEmpty) { records.append((recordLine, cells)) }
            cells = []
        }
        while index < characters.count {
            let c = characters[index]
            index += 1
            if quoted {
                if c == "\"" {
                    if index < characters.count && characters[index] == "\"" { cell.unicodeScalars.append("\""); index += 1 } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    cell.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where cell.trimmingCharacters(in: .whitespaces).isEmpty:
                quoted = true
                cellWasQuoted = true
                cell = ""
            case ",":
                endCell()
            case "\r" where index < characters.count && characters[index] == "\n":
                continue
            case "\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            case " " where cellWasQuoted, "\t" where cellWasQuoted:
                continue   // spaces after a closing quote
            default:
                cell.unicodeScalars.append(c)
            }
        }
        if quoted { throw bad(recordLine, "a quoted field is never closed") }
        if !cell.isEmpty || !cells.isEmpty { endRecord() }
        guard let header = records.first else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "empty: no header row of column names")
        }
        var seen = Set<String>()
        for (column, name) in header.cells.enumerated() {
            guard !name.isEmpty else { throw bad(header.line, "column \(column + 1) of the header has no name") }
            guard seen.insert(name).inserted else { throw bad(header.line, "the header names column '\(name)' twice") }
        }
        for record in records.dropFirst() where record.cells.count != header.cells.count {
            throw bad(record.line, "\(record.cells.count) cells, but the header has \(header.cells.count) columns")
        }
        guard records.count > 1 else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "no rows after the header")
        }
        columns = header.cells
        rows = records.dropFirst().map(\.cells)
        lines = records.dropFirst().map(\.line)
    }

    /// A table already split into cells (an adapter's output); `lines` default to 2, 3, ...
    public init(columns: [String], rows: [[String]], lines: [Int]? = nil) {
        self.columns = columns
        self.rows = rows
        self.lines = lines ?? rows.indices.map { $0 + 2 }
    }

    /// Reads and parses the CSV file at `url`.
    public static func read(_ url: URL) throws -> CSVTable {
        try CSVTable(try FileBytes.read(url), path: url.path)
    }
}
