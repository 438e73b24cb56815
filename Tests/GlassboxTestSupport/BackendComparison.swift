import Glassbox
import XCTest

/// A named tensor of an op case: its shape and, for inputs, its values.
public struct NamedTensor {
    public let name: String
    public let shape: Shape
    public let values: [Float]?

    /// An input, uploaded as given.
    public static func input(_ name: String, _ shape: Shape, _ values: [Float]) -> NamedTensor {
        precondition(values.count == shape.elementCount, "\(name): \(values.count) values for \(shape)")
        return NamedTensor(name: name, shape: shape, values: values)
    }

    /// An output, poisoned with NaN before the op runs so an unwritten element fails.
    public static func output(_ name: String, _ shape: Shape) -> NamedTensor {
        NamedTensor(name: name, shape: shape, values: nil)
    }
}

/// Runs `op` on the CPU reference and on each OpenCL variant and asserts that every compared
/// tensor agrees with the reference within `tolerance` (relative error by norms).
///
/// - Parameters:
///   - compare: the tensors to compare; by default the outputs. In-place ops list their inputs.
///   - expectNaN: true when the reference itself is meant to produce NaN (invalid labels); NaN
///     then has to appear at the same places on every backend.
///   - backends: the OpenCL backends to compare; by default both variants with default tuning.
/// - Returns: the reference's values of the compared tensors, for further checks.
@discardableResult
public func assertBackendsAgree(_ label: String, _ tensors: [NamedTensor], compare: [String]? = nil,
                                tolerance: Double, expectNaN: Bool = false, backends: [OpenCLBackend]? = nil,
                                file: StaticString = #filePath, line: UInt = #line,
                                _ op: (any Backend, [String: Tensor]) throws -> Void) throws -> [String: [Float]] {
    let compared = compare ?? tensors.filter { $0.values == nil }.map(\.name)
    func run(_ backend: any Backend) throws -> [String: [Float]] {
        var made: [String: Tensor] = [:]
        for tensor in tensors {
            made[tensor.name] = try backend.upload(tensor.values ?? [Float](repeating: .nan, count: tensor.shape.elementCount),
                                                   shape: tensor.shape)
        }
        try op(backend, made)
        var results: [String: [Float]] = [:]
        for name in compared { results[name] = try backend.download(made[name]!) }
        return results
    }
    let reference = try run(TestBackends.reference)
    for name in compared where !expectNaN {
        XCTAssertFalse(reference[name]!.contains { $0.isNaN }, "\(label): reference left NaN in \(name)", file: file, line: line)
    }
    for backend in try backends ?? TestBackends.openCLBackends() {
        let results = try run(backend)
        for name in compared {
            let error = relativeError(results[name]!, reference[name]!)
            if expectNaN {
                XCTAssertEqual(results[name]!.map(\.isNaN), reference[name]!.map(\.isNaN),
                               "\(label): \(name) on \(backend.name) has NaN at other places than the reference", file: file, line: line)
            }
            XCTAssertLessThanOrEqual(error, tolerance,
                "\(label): \(name) on \(backend.name) [\(backend.variant)\(backend.tuning.differencesFromDefaults.isEmpty ? "" : ", tuned")] differs from the reference by \(error)",
                file: file, line: line)
        }
    }
    return reference
}
