import Glassbox
import XCTest

/// DeepSHAP on `model` for `input` against `backgrounds`, on the CPU reference and every OpenCL
/// device: asserts on each that the values sum to f(x) - E f(background) to 1e-4 (efficiency),
/// and returns each backend's explanation, the reference's first.
public func deepShapOnEveryBackend(_ model: Sequential, input: [Float], backgrounds: [[Float]], grid: Int,
                                   width: Int, height: Int, target: Int,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> [Explanation] {
    try ([TestBackends.reference as any Backend] + (try TestBackends.openCLBackends())).map { backend in
        let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: input,
                                             baseline: [Float](repeating: 0, count: input.count),
                                             segmentation: try Segmentation.grid(grid, width: width, height: height), target: target)
        let deep = try DeepShap(background: backgrounds).explain(request)
        XCTAssertLessThan(abs(deep.efficiencyGap), 1e-4, "\(model.layers.map(\.typeName)) on \(backend.name): efficiency gap \(deep.efficiencyGap)",
                          file: file, line: line)
        return deep
    }
}
