import Foundation

/// Errors of Glassbox that are not OpenCL statuses (those are ``OpenCLError``).
/// Each names what is wrong: the shapes, the argument, the device choice.
public enum GlassboxError: Error, Equatable, CustomStringConvertible {
    /// A shape with no dimensions, a non-positive dimension, or too many elements.
    case invalidShape([Int], reason: String)
    /// An operand's shape does not fit the operation.
    case shapeMismatch(operation: String, expected: String, actual: Shape)
    /// An argument outside its domain (a stride of 0, a pool larger than its input, ...).
    case invalidArgument(operation: String, reason: String)
    /// A tensor made by one backend was passed to another.
    case wrongBackend(operation: String, expected: String)
    /// A device choice that cannot be satisfied (no OpenCL platform, no such device).
    case deviceUnavailable(String)
    /// A `GLASSBOX_DEVICE` value or `--device` flag that does not parse.
    case invalidDeviceChoice(String)
    /// A file that cannot be read as what it should be: the path, the byte offset where the
    /// problem was found (when there is one) and what is wrong.
    case malformedFile(path: String, offset: Int?, reason: String)
    /// A file or folder that cannot be opened, read or written.
    case fileAccess(path: String, reason: String)
    /// A device allocation that does not fit: how much was asked, how much is free, of how much.
    case deviceOutOfMemory(requestedBytes: Int, freeBytes: Int, totalBytes: Int)
    /// A NaN or infinity where numbers must be finite: which tensor or input, and where.
    case nonFinite(String)

    public var description: String {
        switch self {
        case let .invalidShape(dimensions, reason):
            return "invalid shape \(dimensions): \(reason)"
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): shape mismatch: expected \(expected), got \(actual)"
        case let .invalidArgument(operation, reason):
            return "\(operation): \(reason)"
        case let .wrongBackend(operation, expected):
            return "\(operation): tensor belongs to another backend (expected a \(expected) tensor)"
        case let .deviceUnavailable(reason):
            return "device unavailable: \(reason)"
        case let .invalidDeviceChoice(value):
            return "invalid device choice '\(value)': use auto, cpu, opencl, opencl:N or a device-name substring"
        case let .malformedFile(path, offset, reason):
            return "\(path)\(offset.map { " (at byte \($0))" } ?? ""): \(reason)"
        case let .fileAccess(path, reason):
            return "\(path): \(reason)"
        case let .deviceOutOfMemory(requested, free, total):
            func mb(_ bytes: Int) -> String {
                bytes < 1_048_576 ? "\(bytes) bytes" : String(format: "%.1f MB", Double(bytes) / 1_048_576)
            }
            return "device out of memory: asked for \(mb(requested)), \(mb(max(free, 0))) free of \(mb(total))"
        case let .nonFinite(what):
            return "non-finite values: \(what)"
        }
    }
}
