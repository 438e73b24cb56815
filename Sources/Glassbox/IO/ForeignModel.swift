import Foundation

/// Models written by other frameworks, chosen by file extension: ONNX (`.onnx`, ``ONNXImport``)
/// and Keras 3 (`.keras`, ``KerasFile``).
public enum ForeignModel {
    /// The extensions read, lower case, without the dot.
    public static let extensions = ["onnx", "keras"]

    /// Whether `path` names a file of another framework (by its extension).
    public static func isForeign(_ path: String) -> Bool {
        extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// The model in `url`: imported from ONNX or Keras by its extension, else read as a Glassbox
    /// model file.
    /// - Throws: what ``ONNXImport``, ``KerasFile`` or ``Sequential/load(from:)`` throw.
    public static func load(from url: URL) throws -> Sequential {
        switch url.pathExtension.lowercased() {
        case "onnx": try ONNXImport.model(from: url)
        case "keras": try KerasFile.model(from: url)
        default: try Sequential.load(from: url)
        }
    }
}
