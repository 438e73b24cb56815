import Foundation
import XCTest

/// `explain --shard K/N` parts joined by `glassbox merge`, and (in a build with the MPI trait)
/// `mpirun -np N glassbox explain`, write what one process writes: the same JSON (timings
/// aside), the same PNG bytes and the same global HTML report.
class ShardedExplainTestCase: TrainedModelTestCase {
    /// What a run leaves: its standard output and every file in its output folder.
    struct Outputs {
        var standardOutput: String
        var files: [String: Data]
    }

    /// `explain` arguments on the shared model (CPU reference), writing `g.png` and `g.html`
    /// into `folder`.
    func explainArguments(_ extra: [String], folder: URL) throws -> [String] {
        let trained = try trainedModel()
        return ["explain", "--model", trained.model.path, "--device", "cpu", "--data", trained.data.path, "--format", "json",
                "--png", folder.appendingPathComponent("g.png").path, "--report", folder.appendingPathComponent("g.html").path] + extra
    }

    func newFolder() throws -> URL {
        let folder = try TinyDataset.newFolder()
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// The folder's files (not the parts), by name.
    func files(in folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix("part-") {
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }

    func single(_ extra: [String]) throws -> Outputs {
        let folder = try newFolder()
        let result = try GlassboxBinary.run(try explainArguments(extra, folder: folder))
        XCTAssertEqual(result.status, 0, result.transcript)
        return Outputs(standardOutput: result.standardOutput, files: try files(in: folder))
    }

    /// Runs `parts` independent `--shard K/N` jobs, then merges their parts (given in reverse).
    func sharded(_ extra: [String], parts: Int) throws -> Outputs {
        let folder = try newFolder()
        var partFiles: [String] = []
        for k in 0..<parts {
            let part = folder.appendingPathComponent("part-\(k).json").path
            let result = try GlassboxBinary.run(try explainArguments(extra, folder: folder) + ["--shard", "\(k)/\(parts)", "--shard-file", part])
            XCTAssertEqual(result.status, 0, result.transcript)
            XCTAssertEqual(result.standardOutput, "", "a part prints nothing: merge does")
            partFiles.append(part)
        }
        XCTAssertEqual(try files(in: folder), [:], "the parts write no PNG or HTML: merge does")
        let merged = try GlassboxBinary.run(["merge"] + partFiles.reversed())
        XCTAssertEqual(merged.status, 0, merged.transcript)
        return Outputs(standardOutput: merged.standardOutput, files: try files(in: folder))
    }

    /// Standard output as JSON values without their timings (`seconds`), one per line or one
    /// pretty-printed object.
    func comparableJSON(_ text: String) throws -> [String] {
        func stripped(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { $0.key != "seconds" }.mapValues(stripped)
            }
            if let array = value as? [Any] { return array.map(stripped) }
            return value
        }
        let chunks = text.hasPrefix("{\n") ? [text] : text.split(separator: "\n").map(String.init)
        return try chunks.map { chunk in
            let value = try JSONSerialization.jsonObject(with: Data(chunk.utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: stripped(value), options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// Asserts that `other` wrote what `reference` (one process) wrote: JSON without timings,
    /// every PNG byte for byte, and (with `sameHTML`) every HTML file.
    func assertSameOutputs(_ other: Outputs, _ reference: Outputs, sameHTML: Bool, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try comparableJSON(other.standardOutput), try comparableJSON(reference.standardOutput), what, file: file, line: line)
        XCTAssertEqual(Set(other.files.keys), Set(reference.files.keys), what, file: file, line: line)
        XCTAssertFalse(reference.files.isEmpty, what, file: file, line: line)
        for (name, data) in reference.files where name.hasSuffix(".png") || sameHTML {
            XCTAssertEqual(other.files[name], data, "\(what): \(name) differs", file: file, line: line)
        }
    }

    /// A `--global` run over 7 test images (parts of 3, 2 and 2 for three parts) with two methods.
    static let globalArguments = ["--index", "2", "--count", "7", "--global", "--method", "permutation,saliency", "--samples", "8", "--segments", "grid:2"]
    /// A `--count` run of 3 images, one JSON line and PNG per image.
    static let countArguments = ["--index", "1", "--count", "3", "--method", "exact,saliency", "--segments", "grid:2"]
}

final class ShardedExplainTests: ShardedExplainTestCase {
    func testGlobalPartsMergeToWhatOneProcessWrites() throws {
        let reference = try single(Self.globalArguments)
        XCTAssertNotNil(reference.files["g-permutation-summary.png"])
        for parts in [2, 3] {
            try assertSameOutputs(try sharded(Self.globalArguments, parts: parts), reference, sameHTML: true, "\(parts) parts")
        }
    }

    func testCountPartsMergeToWhatOneProcessWrites() throws {
        let reference = try single(Self.countArguments)
        XCTAssertEqual(reference.standardOutput.split(separator: "\n").count, 3)
        try assertSameOutputs(try sharded(Self.countArguments, parts: 2), reference, sameHTML: false, "2 parts")
    }

    /// `--tolerance` stops a global run once the ranking settles; merged parts (which explain
    /// every image) stop at the same image.
    func testGlobalToleranceStopsAtTheSameImage() throws {
        let arguments = ["--index", "0", "--count", "16", "--global", "--method", "saliency", "--tolerance", "0.5"]
        let reference = try single(arguments)
        let images = try XCTUnwrap(((try JSONSerialization.jsonObject(with: Data(reference.standardOutput.utf8)) as? [String: Any])?["methods"]
                                        as? [[String: Any]])?.first?["images"] as? Int)
        XCTAssertLessThan(images, 16, "the tolerance stops the run early (otherwise this test checks nothing)")
        try assertSameOutputs(try sharded(arguments, parts: 3), reference, sameHTML: true, "3 parts")
    }

    func testBadShardsAndPartsAreNamed() throws {
        let folder = try newFolder()
        let base = try explainArguments(["--index", "0", "--count", "4", "--global", "--method", "saliency"], folder: folder)
        func part(_ k: Int, of n: Int, extra: [String] = []) throws -> String {
            let path = folder.appendingPathComponent("part-\(k)-of-\(n)\(extra.isEmpty ? "" : "-x").json").path
            let result = try GlassboxBinary.run(base + extra + ["--shard", "\(k)/\(n)", "--shard-file", path])
            XCTAssertEqual(result.status, 0, result.transcript)
            return path
        }
        let (p0, p1) = (try part(0, of: 2), try part(1, of: 2))
        let other = try part(1, of: 2, extra: ["--seed", "5"])
        let three = try part(2, of: 3)
        let corrupt = folder.appendingPathComponent("part-corrupt.json")
        try Data(try Data(contentsOf: URL(fileURLWithPath: p0)).prefix(100)).write(to: corrupt)
        let renamed = folder.appendingPathComponent("part-renamed.json")
        try Data(String(decoding: try Data(contentsOf: URL(fileURLWithPath: p0)), as: UTF8.self)
            .replacingOccurrences(of: "glassbox-explain-shard", with: "something-else").utf8).write(to: renamed)
        let cases: [([String], [String])] = [
            (["merge", p0], ["missing part", "1/2"]),
            (["merge", p0, p0, p1], ["both part 0/2"]),
            (["merge", p0, other], ["another run", other]),
            (["merge", p0, three], ["another run", "3 parts"]),
            (["merge", p0, corrupt.path], [corrupt.path, "not a glassbox explain shard"]),
            (["merge", renamed.path, p1], [renamed.path, "kind 'something-else'"]),
            (["merge", p0, folder.appendingPathComponent("absent.json").path], ["absent.json", "no such file"]),
            (["merge"], ["--shard-file files"]),
            (base + ["--shard", "2/2", "--shard-file", "x.json"], ["--shard", "0 to 1"]),
            (base + ["--shard", "0/2"], ["--shard-file"]),
            (base + ["--shard-file", "x.json"], ["--shard K/N"]),
        ]
        for (arguments, fragments) in cases {
            let result = try GlassboxBinary.run(arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments): \(result.transcript)")
            for fragment in fragments {
                XCTAssertTrue(result.standardError.contains(fragment), "\(arguments) should say '\(fragment)':\n\(result.transcript)")
            }
        }
        // The parts themselves are never merge's outputs.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p1)).prefix(1), Data("{".utf8))
    }

}

#if !MPI
/// The build without the MPI trait (the one `make test` runs under the sanitizers).
final class BuildWithoutMPITests: XCTestCase {
    /// Started by `mpirun -np 2`, it says so instead of running the whole job twice.
    func testSeveralRanksAreRefused() throws {
        let result = try GlassboxBinary.run(["devices"], environment: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0"])
        XCTAssertEqual(result.status, 2, result.transcript)
        XCTAssertTrue(result.standardError.contains("built without MPI") && result.standardError.contains("--traits MPI"), result.transcript)
    }
}
#endif
