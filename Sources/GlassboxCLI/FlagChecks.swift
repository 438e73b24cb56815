import ArgumentParser
import Foundation
import Glassbox

/// The ranges of numeric flags, checked in `validate()` before any work, so that no later
/// arithmetic overflows and no allocation or loop is sized by an absurd value. Each error names
/// the flag, its range and the value given.
enum FlagRange {
    /// Image indices and counts: test sets past 2^31 images do not fit in memory anyway.
    static let index = 0...Int(Int32.max)
    static let count = 1...Int(Int32.max)
    /// Redraws of the stability metric (each reruns every method).
    static let stability = 0...1_000
    /// Gaussian blur sigma of `--baseline blur:S`, in pixels.
    static let blurSigma = 0.0...1_000.0
    /// Standard deviation of gradient-shap's input noise, on [0, 1] pixels.
    static let noise = 0.0...10.0
    /// Timed repetitions of the benchmarks.
    static let repeats = 1...1_000
    /// Surrogate tree depth.
    static let treeDepth = 1...64

    static func check(_ value: Int, _ range: ClosedRange<Int>, flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be from \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
    }

    /// A finite value in `range`.
    static func check(_ value: Double, _ range: ClosedRange<Double>, flag: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(flag) must be from \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
    }

    /// A Graphviz diagram's `--out` must say its format: `.png`, `.svg`, `.pdf`, `.dot` or `.gv`.
    static func checkDiagramExtension(_ path: String) throws {
        let suffix = path.split(separator: ".").count > 1 ? String(path.split(separator: ".").last!).lowercased() : ""
        guard ["png", "svg", "pdf", "dot", "gv"].contains(suffix), !path.hasSuffix("/") else {
            throw ValidationError("--out \(path): unknown output type '.\(suffix)'; the name must end in .png, .svg, .pdf or .dot")
        }
    }

    /// A path flag that is given must not be empty (an empty path would name the current folder).
    static func checkPath(_ path: String?, flag: String) throws {
        if let path, path.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("\(flag): the path is empty") }
    }
}

/// The files a command reads, for ``OutputFiles/check(outputs:inputs:)``: an output must never be
/// one of them.
enum InputFiles {
    /// Every IDX file of a data folder (under any accepted name) and a class-names file.
    static func data(_ folder: String?, classes: String? = nil) -> [OutputFiles.Entry] {
        let files = Dataset.files(in: URL(fileURLWithPath: folder ?? Dataset.defaultFolder))
        return files.map { OutputFiles.Entry(flag: "--data", path: $0.path) } + (classes.map { [OutputFiles.Entry(flag: "--classes", path: $0)] } ?? [])
    }

    static func entry(_ path: String?, flag: String) -> [OutputFiles.Entry] {
        path.map { [OutputFiles.Entry(flag: flag, path: $0)] } ?? []
    }
}

/// Checks the outputs before work starts; a refusal reaches the user as one line.
func checkOutputs(_ outputs: [OutputFiles.Entry], inputs: [OutputFiles.Entry]) throws {
    do { try OutputFiles.check(outputs: outputs, inputs: inputs) } catch { throw CommandFailure(error) }
}

/// The first `count` items from `first` of `available`, or an error that says how many remain.
func checkedRange(first: Int, count: Int, available: Int, what: String) throws -> Range<Int> {
    guard first < available else {
        throw ValidationError("--index \(first) is past the last \(what) (\(available) in all: indices 0 to \(available - 1))")
    }
    let remaining = available - first
    guard count <= remaining else {
        throw ValidationError("--count \(count) from --index \(first) runs past the last \(what): \(remaining) remain (indices \(first) to \(available - 1)); use --count \(remaining)")
    }
    return first..<(first + count)
}
