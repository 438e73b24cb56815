import Foundation
import Glassbox
import XCTest

/// Model files found by fuzzing (`Fuzz/crashes/model/`, `Fuzz/crashes/architecture/`; ROBUSTNESS.md,
/// "Fuzzing") whose architecture metadata crashed `Sequential.load` or made it allocate gigabytes
/// before looking at the tensors. Each file is a few hundred bytes with no tensors at all, and
/// must be refused with an error that names the file.
///
/// Each case runs `glassbox summary --model FILE` in a child process whose address space is
/// limited to 2 GiB, so a crash or a runaway allocation fails one test instead of taking the
/// whole suite down; only once the child has exited cleanly is the file loaded in this process.
final class ModelArchitectureRegressionTests: XCTestCase {
    /// Found by the `architecture` target: Flatten multiplied the input sizes with a trapping `*`.
    func testFlattenOfAnInputWhoseSizeOverflowsIsRefused() throws {
        try assertRefused(architecture: #"{"input_shape":[7,9223372036854775807,3037000500],"layers":[{"type":"Flatten"}]}"#)
    }

    /// Found by the `architecture` target: the output shape [1, 1, 2147483647, 3] of a valid
    /// 1x1 convolution has more than 2^31 - 1 elements, and `Conv2DGeometry.outputShape` built it
    /// with `Shape(arrayLiteral:)`, which traps on an invalid shape.
    func testConvolutionWhoseOutputHasTooManyElementsIsRefused() throws {
        try assertRefused(architecture: #"{"input_shape":[1,2147483647,1],"layers":[{"type":"Conv2D","filters":3,"kernelSize":[1,1]}]}"#)
    }

    /// Found by reading `Conv2DGeometry` next to the fuzzer's findings: `same` padding computes
    /// `inputHeight + strideHeight - 1`, which overflows for a stride near `Int.max`.
    func testSamePaddingWithAHugeStrideIsRefused() throws {
        try assertRefused(architecture: #"{"input_shape":[4,4,1],"layers":[{"type":"Conv2D","filters":1,"kernelSize":[1,1],"#
                              + #""strides":[9223372036854775807,1],"padding":"same"}]}"#)
    }

    /// Found by the `architecture` target (libFuzzer: out-of-memory, malloc of 8,589,934,620 bytes):
    /// a file of about 160 bytes asks for a Dense kernel of [2147483647, 1], and `Sequential.init`
    /// drew 2^31 - 1 Glorot-uniform values for it before `load` found that the file holds no such
    /// tensor.
    func testHugeLayerIsRefusedBeforeItsParametersAreAllocated() throws {
        try assertRefused(architecture: #"{"input_shape":[2147483647],"layers":[{"type":"Dense","units":1}]}"#)
    }

    // MARK: - Helpers

    /// The built `glassbox` beside the test bundle.
    var binary: URL {
        var folder = Bundle(for: Self.self).bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("glassbox")
    }

    /// Writes a model file whose only content is `architecture` (plus the format metadata) and
    /// checks that both `glassbox summary` and `Sequential.load` refuse it with a clear error.
    func assertRefused(architecture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("glassbox binary not built") }
        let folder = try IOFixtures.temporaryFolder(self, name: "glassbox-fuzz-regression")
        let url = folder.appendingPathComponent("model.safetensors")
        try Safetensors(metadata: ["format": "glassbox", "format_version": "1", "architecture": architecture]).write(to: url)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 2 GiB of address space: far more than the CLI needs, far less than the allocations
        // these files used to ask for. No Swift backtracer: it is slow and a crash is all we need.
        // Under a sanitizer (scripts/sanitize.sh) the runtime itself maps terabytes of shadow memory,
        // so the limit is its allocator's instead: a larger malloc is reported, a failure too.
        var environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        var limit = "ulimit -v 2097152; "
        if let sanitizer = environment["GLASSBOX_SANITIZER"], let variable = ["address": "ASAN_OPTIONS", "thread": "TSAN_OPTIONS"][sanitizer] {
            environment[variable] = (environment[variable].map { $0 + ":" } ?? "") + "max_allocation_size_mb=2048"
            limit = ""
        }
        process.arguments = ["-c", limit + "exec \"$0\" summary --model \"$1\"", binary.path, url.path]
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        guard process.terminationReason == .exit, process.terminationStatus == 1 else {
            let how = process.terminationReason == .exit ? "exited with status \(process.terminationStatus)"
                                                         : "was killed by signal \(process.terminationStatus)"
            return XCTFail("glassbox summary \(how) on architecture \(architecture); expected exit status 1 "
                           + "and an error.\n\(output.suffix(2000))", file: file, line: line)
        }
        XCTAssertTrue(output.contains(url.path), "the error names the file: \(output)", file: file, line: line)

        XCTAssertThrowsError(try Sequential.load(from: url), file: file, line: line) { error in
            guard case let GlassboxError.malformedFile(path, _, reason) = error else {
                return XCTFail("\(error) is not a malformed-file error", file: file, line: line)
            }
            XCTAssertEqual(path, url.path, file: file, line: line)
            XCTAssertFalse(reason.isEmpty, file: file, line: line)
        }
    }
}
