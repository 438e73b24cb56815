// Shared by every fuzz target (compiled into each one by scripts/fuzz.sh).
//
// A target's only job is to hand the bytes to a parser and call anything other than a
// `GlassboxError` a finding: a trap, a crash, a leak, a hang, or an error of another type (the
// project promises that every bad input gets a GlassboxError that names what is wrong).
import Foundation
@testable import Glassbox

/// The fuzzer's input as `Data`, copied, so the parser cannot keep libFuzzer's buffer alive.
func fuzzInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Data {
    Data(UnsafeBufferPointer(start: bytes, count: size))
}

/// Set `GLASSBOX_FUZZ_VERBOSE=1` to see what each input gave: run a target binary on a file
/// (`.build-fuzz/fuzz/fuzz-png Fuzz/corpus/png/gray-3x2.png`) to check a seed or a crash.
let fuzzVerbose = ProcessInfo.processInfo.environment["GLASSBOX_FUZZ_VERBOSE"] == "1"

/// Prints a line on stderr when verbose.
func fuzzLog(_ line: @autoclosure () -> String) {
    if fuzzVerbose { FileHandle.standardError.write(Data(("fuzz: " + line() + "\n").utf8)) }
}

/// Stops the fuzzer with `message` when `condition` is false. Not `precondition`: the targets
/// are built with -O, where a precondition's message is not printed.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}

/// Runs `body`; a thrown `GlassboxError` is the expected answer to bad input and gives nil.
/// Any other error type is a finding and stops the fuzzer, so its input is saved.
func expectingGlassboxError<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        let value = try body()
        fuzzLog("\(what): ok")
        return value
    } catch let error as GlassboxError {
        // Rendering the message is part of the contract (it formats offsets, hex, shapes).
        let message = error.description
        fuzzCheck(!message.isEmpty, "\(what): empty error message")
        fuzzLog("\(what): \(message)")
        return nil
    } catch {
        fatalError("\(what): threw \(type(of: error)), not a GlassboxError: \(error)")
    }
}

/// A file in this process's own temporary folder, for parsers that take a URL.
///
/// scripts/fuzz.sh points TMPDIR at a folder it deletes afterwards.
enum FuzzFile {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("glassbox-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `data` to `name` in the folder and returns its URL.
    static func write(_ data: Data, name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try! data.write(to: url)
        return url
    }
}

/// Reads the fuzzer's bytes front to back as small numbers, for targets that build structured
/// input (a PNG around fuzzed scanlines, an image size for `--segments`).
struct ByteReader {
    var bytes: Data
    var position: Int

    init(_ bytes: Data) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard position < bytes.endIndex else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// Everything not read yet.
    mutating func rest() -> Data {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }
}
