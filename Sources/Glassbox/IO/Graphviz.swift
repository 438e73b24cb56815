import Foundation

/// Writes Graphviz diagrams: DOT text as it is, or rendered by the `dot` program.
public enum Graphviz {
    /// Writes `dot` text to `url` atomically: `.dot`/`.gv` as text, `.png`, `.svg` or `.pdf`
    /// rendered by Graphviz's `dot`.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for another extension or
    ///   when `dot` is missing or fails.
    public static func write(_ dot: String, to url: URL, operation: String) throws {
        let format = url.pathExtension.lowercased()
        switch format {
        case "dot", "gv":
            try AtomicFile.write(Data(dot.utf8), to: url)
        case "png", "svg", "pdf":
            try AtomicFile.write(try render(dot, format: format, operation: operation), to: url)
        default:
            throw GlassboxError.invalidArgument(operation: operation, reason: "unknown output type '.\(format)' of \(url.path): use .png, .svg, .pdf or .dot")
        }
    }

    /// Runs `dot -T<format>` on the text and returns its output.
    static func render(_ text: String, format: String, operation: String) throws -> Data {
        let candidates = ["/usr/bin/dot", "/usr/local/bin/dot"]
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw GlassboxError.invalidArgument(operation: operation,
                reason: "Graphviz 'dot' was not found (apt-get install graphviz), or write a .dot file instead")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-T\(format)"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !result.isEmpty else {
            throw GlassboxError.invalidArgument(operation: operation,
                reason: "dot -T\(format) failed (status \(process.terminationStatus)): \(String(decoding: messages, as: UTF8.self))")
        }
        return result
    }
}
