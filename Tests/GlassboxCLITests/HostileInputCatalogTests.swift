import Foundation
import Glassbox
import XCTest

/// What a hostile user tried (issue 11), through the built binary: every flag, environment
/// variable and path below must end in a non-zero exit whose stderr names the problem, well before
/// any long work, leaving every file it was given as it was. With `GLASSBOX_ROBUSTNESS_CLI_TABLE=PATH`
/// the test writes the rows as a Markdown table, which scripts/robustness-table.sh puts into
/// ROBUSTNESS.md, so the documented behaviour is the tested one.
///
/// The special files here (a FIFO, symlinks, folders) are made by the test in its own folder.
final class HostileInputCatalogTests: TrainedModelTestCase {
    struct Row {
        /// What the user did, as the table shows it.
        let input: String
        let arguments: [String]
        var environment: [String: String] = [:]
        /// Run through `/bin/sh -c` after this shell prefix (e.g. a `ulimit`).
        var shellPrefix: String?
        let expect: [String]
        /// Needs an OpenCL device (skipped without a platform).
        var needsOpenCL = false
    }

    var openCLAvailable: Bool { ProcessInfo.processInfo.environment["GLASSBOX_EXPECT_NO_OPENCL"] != "1" && (try? Device.all().isEmpty) == false }

    /// A checkpoint like `model` whose `training` metadata is changed by `edit`, or whose
    /// optimizer state holds a NaN.
    func damagedCheckpoint(_ model: URL, in folder: URL, name: String, edit: (inout [String: Any]) -> Void = { _ in },
                           nanIn tensor: String? = nil) throws -> URL {
        var file = try Safetensors.read(from: model)
        var training = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata["training"]).utf8)) as? [String: Any])
        edit(&training)
        file.metadata["training"] = String(decoding: try JSONSerialization.data(withJSONObject: training, options: [.sortedKeys]), as: UTF8.self)
        if let tensor { file.tensors[tensor]!.values[5] = .nan }
        let url = folder.appendingPathComponent(name)
        try file.write(to: url)
        return url
    }

    func testEveryHostileInputGetsANamedErrorAndChangesNothing() throws {
        let trained = try trainedModel()
        let folder = try temporaryFolder()
        let (model, data) = (trained.model.path, trained.data.path)
        let fifo = folder.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let loop = folder.appendingPathComponent("loop.png").path
        XCTAssertEqual(symlink(loop, loop), 0)
        let image = folder.appendingPathComponent("a.pgm")
        try TinyDataset.pgm(width: 28, height: 28, pixels: TinyDataset.image(2, test: true)).write(to: image)
        let negativeRate = try damagedCheckpoint(trained.model, in: folder, name: "negative-rate.safetensors") { $0["learning_rate"] = -1 }
        let hugeBatch = try damagedCheckpoint(trained.model, in: folder, name: "huge-batch.safetensors") { $0["batch_size"] = 1 << 40 }
        let nanState = try damagedCheckpoint(trained.model, in: folder, name: "nan-state.safetensors", nanIn: "optimizer.dense.kernel.v")
        let labels = trained.data.appendingPathComponent("t10k-labels-idx1-ubyte").path
        let reportLink = folder.appendingPathComponent("x.html").path, imageLink = folder.appendingPathComponent("a.png").path
        let modelLink = folder.appendingPathComponent("m.png").path
        let twelveNames = folder.appendingPathComponent("twelve.txt").path
        try (0..<12).map { "class \($0)" }.joined(separator: "\n").write(toFile: twelveNames, atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink("x.png", reportLink), 0)
        XCTAssertEqual(symlink(image.path, imageLink), 0)
        XCTAssertEqual(symlink(trained.model.path, modelLink), 0)
        let explain = ["explain", "--model", model, "--data", data, "--device", "cpu"]
        let train = ["train", "--data", data, "--device", "cpu"]
        let csv = folder.appendingPathComponent("t.csv").path, ragged = folder.appendingPathComponent("ragged.csv").path
        try "a,b,y\n1,2,x\n3,4,z\n5,6,x\n7,8,z\n".write(toFile: csv, atomically: true, encoding: .utf8)
        try "a,b,y\n1,2,x\n3\n".write(toFile: ragged, atomically: true, encoding: .utf8)
        let huge = "9223372036854775807"
        // A --shard part of a two-image --global run, whose image is then made to claim 2^63 - 1 images.
        let part = folder.appendingPathComponent("part.json").path
        let run = ExplainRun(classNames: ["a", "b"], width: 2, height: 2, images: 1)
        var explained = ExplainedImage(position: 0)
        explained.records = [.init(method: "kernel", target: 1, values: [0.5], pixelMap: [0, 0, 0, 0], intensities: [1])]
        var hugeRun = ExplainShardFile(arguments: ["--global"], shard: Shard(index: 0, count: 1), run: run, results: [explained])
        hugeRun.run.images = Int.max
        try hugeRun.encoded().write(to: URL(fileURLWithPath: part))

        var rows: [Row] = [
            // 1. Special files and folders at --out
            Row(input: "`train --out FIFO`", arguments: train + ["--out", fifo], expect: ["--out", "FIFO", "regular file"]),
            Row(input: "`train --out FOLDER`", arguments: train + ["--out", folder.path], expect: ["--out", "is a folder"]),
            Row(input: "`train --out ''`", arguments: train + ["--out", ""], expect: ["--out: the path is empty"]),
            Row(input: "`train --out /proc/m.st` (a folder that takes no file)", arguments: train + ["--out", "/proc/m.st"],
                expect: ["cannot create a file in the folder /proc"]),
            Row(input: "`train --out` in a missing folder", arguments: train + ["--out", folder.path + "/none/m.st"], expect: ["does not exist"]),
            Row(input: "`plot --out` a symlink loop", arguments: ["plot", "--model", model, "--out", loop], expect: ["symlink loop"]),
            // 2 and 6. Checkpoints with NaN state or settings a flag would refuse
            Row(input: "`train --resume` from a checkpoint with NaN in `optimizer.dense.kernel.v` (CPU)",
                arguments: train + ["--epochs", "2", "--resume", "--out", nanState.path], expect: ["'optimizer.dense.kernel.v' holds nan"]),
            Row(input: "the same, `--device opencl`", arguments: ["train", "--data", data, "--epochs", "2", "--resume", "--out", nanState.path,
                                                                  "--device", "opencl"],
                expect: ["'optimizer.dense.kernel.v' holds nan"], needsOpenCL: true),
            Row(input: "`train --resume` from a checkpoint with `learning_rate: -1`",
                arguments: train + ["--epochs", "2", "--resume", "--out", negativeRate.path], expect: ["learning_rate", "-1.0"]),
            Row(input: "`train --resume` from a checkpoint with `batch_size: 2^40`",
                arguments: train + ["--epochs", "2", "--resume", "--out", hugeBatch.path], expect: ["batch_size", "from 1 to 65536"]),
            // 3. Flag values that trapped or ran away
            Row(input: "`predict --count 2^63-1`", arguments: ["predict", "--model", model, "--data", data, "--index", "0", "--count", huge],
                expect: ["--count must be from 1 to 2147483647"]),
            Row(input: "`explain --count 2^63-1`", arguments: explain + ["--index", "1", "--count", huge], expect: ["--count must be from 1 to"]),
            Row(input: "`train --batch-size 2^63-1`", arguments: train + ["--batch-size", huge, "--out", folder.path + "/b.st"],
                expect: ["--batch-size must be from 1 to 65536"]),
            Row(input: "`surrogate --min-leaf 2^63-1`", arguments: ["surrogate", "--model", model, "--data", data, "--min-leaf", huge],
                expect: ["--min-leaf must be from 1 to 2000"]),
            Row(input: "`explain --baseline blur:inf`", arguments: explain + ["--index", "0", "--baseline", "blur:inf"],
                expect: ["blur:SIGMA needs a positive number up to 1000"]),
            Row(input: "`explain --baseline blur:1e9`", arguments: explain + ["--index", "0", "--baseline", "blur:1e9"],
                expect: ["blur:SIGMA needs a positive number up to 1000"]),
            Row(input: "`explain --samples 10^11`", arguments: explain + ["--index", "0", "--method", "permutation", "--samples", "100000000000"],
                expect: ["--samples must be from 1 to 16777216"]),
            Row(input: "`explain --noise=-1`", arguments: explain + ["--index", "0", "--method", "gradient-shap", "--noise=-1"],
                expect: ["--noise must be from 0.0 to 10.0"]),
            Row(input: "`explain --confidence 1.5`", arguments: explain + ["--index", "0", "--confidence", "1.5"],
                expect: ["--confidence", "strictly between 0 and 1"]),
            Row(input: "`explain --tolerance nan`", arguments: explain + ["--index", "0", "--tolerance", "nan"],
                expect: ["--tolerance", "must be a positive number"]),
            Row(input: "`explain --deep-output softmax`", arguments: explain + ["--index", "0", "--deep-output", "softmax"],
                expect: ["--deep-output must be probability or logit (got softmax)"]),
            Row(input: "`calibrate --seeds 5`", arguments: ["calibrate", "--model", model, "--data", data, "--seeds", "5"],
                expect: ["--seeds must be from 10 to 100000"]),
            Row(input: "`calibrate --tolerances 0.05,x`", arguments: ["calibrate", "--model", model, "--data", data, "--tolerances", "0.05,x"],
                expect: ["--tolerances takes numbers separated by commas (got 0.05,x)"]),
            Row(input: "`calibrate --methods exact`", arguments: ["calibrate", "--model", model, "--data", data, "--methods", "exact"],
                expect: ["--methods: 'exact' is not a sampled method"]),
            Row(input: "`explain --stability 10^6`", arguments: explain + ["--index", "0", "--stability", "1000000"],
                expect: ["--stability must be from 0 to 1000"]),
            Row(input: "`bench predict --images 10^11`", arguments: ["bench", "predict", "--data", data, "--images", "100000000000"],
                expect: ["--images must be from 1 to 1048576"]),
            Row(input: "`bench explain --cases deep:4:10^11`", arguments: ["bench", "explain", "--model", model, "--data", data,
                                                                        "--cases", "deep:4:100000000000"],
                expect: ["--cases takes method:grid:samples", "10,000 background images"]),
            Row(input: "`bench explain --index 99` with 16 test images", arguments: ["bench", "explain", "--model", model, "--data", data,
                                                                                "--index", "99", "--device", "cpu"],
                expect: ["--index 99 is past the last test image"]),
            // 5. Outputs over inputs or over each other
            Row(input: "`train --out DATA/t10k-labels-idx1-ubyte`", arguments: train + ["--out", labels],
                expect: ["same file as the input --data"]),
            Row(input: "`explain --png x.png --report x.html`, x.html a symlink to x.png",
                arguments: explain + ["--index", "0", "--png", folder.path + "/x.png", "--report", reportLink],
                expect: ["--report", "same file as the output --png"]),
            Row(input: "`explain --image a.pgm --png a.png`, a.png a symlink to a.pgm",
                arguments: ["explain", "--model", model, "--image", image.path, "--png", imageLink, "--device", "cpu"],
                expect: ["same file as the input --image"]),
            Row(input: "`explain --png m.png`, m.png a symlink to the model", arguments: explain + ["--index", "0", "--png", modelLink],
                expect: ["same file as the input --model"]),
            Row(input: "`explain --png out.txt`", arguments: explain + ["--index", "0", "--png", folder.path + "/out.txt"],
                expect: ["--png", "must end in .png"]),
            Row(input: "`explain --image a.pgm --count 3`", arguments: ["explain", "--model", model, "--image", image.path, "--count", "3"],
                expect: ["--count applies to --index"]),
            Row(input: "`explain --method saliency,,lime`", arguments: explain + ["--index", "0", "--method", "saliency,,lime"],
                expect: ["--method has an empty item"]),
            Row(input: "`explain --method lime --samples 5` on 16 segments", arguments: explain + ["--index", "0", "--method", "lime", "--samples", "5"],
                expect: ["5 samples cannot determine 16 segment weights"]),
            Row(input: "`plot --out m` (a one-letter name)", arguments: ["plot", "--model", model, "--out", "m"],
                expect: ["unknown output type", ".png, .svg, .pdf or .dot"]),
            Row(input: "`surrogate --out tree.txt`", arguments: ["surrogate", "--model", model, "--data", data, "--out", folder.path + "/tree.txt"],
                expect: ["unknown output type"]),
            Row(input: "`explain --method exact,exact`", arguments: explain + ["--index", "0", "--method", "exact,exact"],
                expect: ["--method lists exact more than once"]),
            // 7. Outputs checked before the work
            Row(input: "`explain --global --report` in a missing folder", arguments: explain + ["--global", "--count", "16", "--method", "kernel",
                                                                                             "--report", folder.path + "/none/g.html"],
                expect: ["--report", "does not exist"]),
            Row(input: "`surrogate --out` in a missing folder", arguments: ["surrogate", "--model", model, "--data", data, "--count", "16",
                                                                          "--out", folder.path + "/none/tree.png"],
                expect: ["--out", "does not exist"]),
            // 8. A file-size limit under which PoCL's compiler would exit the process
            Row(input: "`ulimit -f 1000` (sh: 512-byte blocks), `predict --device opencl`", arguments: ["predict", "--model", model, "--image", image.path, "--device", "opencl"],
                shellPrefix: "ulimit -f 1000", expect: ["file-size limit (ulimit -f) is", "KiB", "--device cpu"], needsOpenCL: true),
            Row(input: "`predict --classes` naming 12 classes for 10 outputs",
                arguments: ["predict", "--model", model, "--data", data, "--index", "0", "--classes", twelveNames, "--device", "cpu"],
                expect: ["names 12 classes, but the model's output has 10"]),
            // 10. The smaller cases
            Row(input: "`explain --image` a symlink loop", arguments: ["explain", "--model", model, "--image", loop, "--device", "cpu"],
                expect: ["symlink loop"]),
            Row(input: "`predict --image FIFO`", arguments: ["predict", "--model", model, "--image", fifo, "--device", "cpu"],
                expect: ["FIFO", "expected a file"]),
            Row(input: "`explain --segments ''`", arguments: explain + ["--index", "0", "--segments", ""], expect: ["--segments: the path is empty"]),
            Row(input: "`surrogate --features blocks:0`", arguments: ["surrogate", "--model", model, "--data", data, "--features", "blocks:0"],
                expect: ["--features must be blocks:G with G >= 1"]),
            Row(input: "`surrogate --features blocks:40` on 28x28 images",
                arguments: ["surrogate", "--model", model, "--data", data, "--count", "16", "--features", "blocks:40", "--device", "cpu"],
                expect: ["blocks:40", "from 1 to 28"]),
            Row(input: "`predict --index 10 --count 10` with 16 test images",
                arguments: ["predict", "--model", model, "--data", data, "--index", "10", "--count", "10"], expect: ["6 remain (indices 10 to 15)"]),
            Row(input: "`GLASSBOX_MAX_DEVICE_BYTES=lots`", arguments: ["predict", "--model", model, "--image", image.path],
                environment: ["GLASSBOX_MAX_DEVICE_BYTES": "lots"], expect: ["GLASSBOX_MAX_DEVICE_BYTES", "'lots'", "whole number of bytes"]),
            Row(input: "`GLASSBOX_MAX_DEVICE_BYTES=-5`", arguments: ["predict", "--model", model, "--image", image.path, "--device", "cpu"],
                environment: ["GLASSBOX_MAX_DEVICE_BYTES": "-5"], expect: ["GLASSBOX_MAX_DEVICE_BYTES", "'-5'"]),
            Row(input: "`GLASSBOX_OPENCL_FAULT=clCreateBuffer:-4`", arguments: ["predict", "--model", model, "--image", image.path, "--device", "opencl"],
                environment: ["GLASSBOX_OPENCL_FAULT": "clCreateBuffer:-4"], expect: ["device out of memory"], needsOpenCL: true),
            Row(input: "`GLASSBOX_OPENCL_FAULT=clBuildProgram:-11`", arguments: ["predict", "--model", model, "--image", image.path, "--device", "opencl"],
                environment: ["GLASSBOX_OPENCL_FAULT": "clBuildProgram:-11"], expect: ["clBuildProgram", "CL_BUILD_PROGRAM_FAILURE"], needsOpenCL: true),
            // 9. Tables
            Row(input: "`train --data t.csv --test-split 1.5`", arguments: ["train", "--data", csv, "--test-split", "1.5", "--out", folder.path + "/t.st"],
                expect: ["--test-split", "between 0 and 1"]),
            Row(input: "`train --data FOLDER --label y` (a flag for tables on image data)", arguments: train + ["--label", "y"],
                expect: ["--label", "applies to a CSV table"]),
            Row(input: "`train --data t.csv --label nothere`", arguments: ["train", "--data", csv, "--label", "nothere", "--device", "cpu",
                "--out", folder.path + "/t.st"], expect: ["t.csv", "no label column 'nothere'"]),
            Row(input: "`explain --data t.csv --index 0` (an image flag on a table)", arguments: ["explain", "--model", model, "--data", csv, "--index", "0"],
                expect: ["--index", "--row"]),
            Row(input: "`explain --data t.csv --row 0` with an image model", arguments: ["explain", "--model", model, "--data", csv, "--row", "0", "--device", "cpu"],
                expect: ["the model takes [28, 28, 1]", "features"]),
            Row(input: "`predict --data t.csv --row 0 --device cpu` with a line that is short of cells",
                arguments: ["predict", "--model", model, "--data", ragged, "--row", "0", "--device", "cpu"], expect: ["ragged.csv", "line 3"]),
            // 10. Kernel tuning
            // --shard and merge
            Row(input: "`explain --shard 3/3 --shard-file p`", arguments: explain + ["--global", "--shard", "3/3", "--shard-file", folder.path + "/p"],
                expect: ["--shard", "part K of 3 must be 0 to 2"]),
            Row(input: "`explain --shard 0/0 --shard-file p`", arguments: explain + ["--global", "--shard", "0/0", "--shard-file", folder.path + "/p"],
                expect: ["--shard", "N must be 1 to 1048576"]),
            Row(input: "`explain --shard 0/2` without `--shard-file`", arguments: explain + ["--global", "--shard", "0/2"], expect: ["add --shard-file"]),
            Row(input: "`merge FIFO`", arguments: ["merge", fifo], expect: ["FIFO"]),
            Row(input: "`merge` a part whose run claims 2^63-1 images", arguments: ["merge", part],
                expect: [part, "should hold images 0..<9223372036854775807", "holds 1 images"]),
            Row(input: "`merge` the model file as a part", arguments: ["merge", model], expect: [model, "not a glassbox explain shard file"]),
            Row(input: "`tune --device cpu` (the reference has no kernels)", arguments: ["tune", "--device", "cpu"], expect: ["no kernels to tune"]),
            Row(input: "`tune --batch-size 0`", arguments: ["tune", "--batch-size", "0"], expect: ["--batch-size"]),
            Row(input: "`GLASSBOX_TUNING_CACHE=none glassbox tune --quick`", arguments: ["tune", "--quick", "--model", model],
                environment: ["GLASSBOX_TUNING_CACHE": "none"], expect: ["GLASSBOX_TUNING_CACHE", "nowhere to keep"], needsOpenCL: true),
        ]
        if ExplanationRequest.maximumSamples(inputCount: 784, segments: 64, classes: 10).samples < 16_000_000 {
            rows.append(Row(input: "`explain --method lime --samples 16000000` (more than host memory holds)",
                            arguments: explain + ["--index", "0", "--method", "lime", "--segments", "grid:8", "--samples", "16000000"],
                            expect: ["--samples 16000000 is outside 1...", "bytes on the host"]))
        }
        if !openCLAvailable { rows.removeAll { $0.needsOpenCL } }

        // Every file given to a row must come out as it went in (the FIFO stays a FIFO).
        let watched = [trained.model.path, labels, image.path, part, negativeRate.path, hugeBatch.path, nanState.path]
            + (try FileManager.default.contentsOfDirectory(atPath: data).map { data + "/" + $0 })
        let before = try watched.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        var table = ["| hostile input | exit | error |", "|---|---|---|"]
        for row in rows {
            let start = Date()
            let result: GlassboxBinary.Result
            if let prefix = row.shellPrefix {
                let command = ([GlassboxBinary.url.path] + row.arguments).map { "'\($0)'" }.joined(separator: " ")
                result = try GlassboxBinary.runShell("\(prefix); exec \(command)", environment: row.environment)
            } else {
                result = try GlassboxBinary.run(row.arguments, environment: row.environment)
            }
            let seconds = Date().timeIntervalSince(start)
            XCTAssertNotEqual(result.status, 0, "\(row.input)\n\(result.transcript)")
            XCTAssertTrue((1...2).contains(result.status) || result.status == 64, "\(row.input): an exit, not a signal\n\(result.transcript)")
            XCTAssertLessThan(seconds, 120, "\(row.input): refused before any long work (a generous bound for sanitizer builds)")
            for fragment in row.expect where !result.standardError.contains(fragment) {
                XCTFail("\(row.input): stderr lacks \"\(fragment)\"\n\(result.transcript)")
            }
            let message = result.standardError.split(separator: "\n").first { $0.hasPrefix("Error: ") }.map(String.init)
                ?? result.standardError.split(separator: "\n").first.map(String.init) ?? ""
            let shown = message.replacingOccurrences(of: folder.path, with: "DIR").replacingOccurrences(of: trained.folder.path, with: "DIR")
                .replacingOccurrences(of: "|", with: "\\|")
            table.append("| \(row.input.replacingOccurrences(of: "|", with: "\\|")) | \(result.status) | \(shown) |")
        }
        for (path, bytes) in zip(watched, before) {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes, "\(path) changed")
        }
        XCTAssertEqual(try FileStatus.of(fifo)?.kind, .fifo, "the FIFO is still a FIFO")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [],
                       "no temporary, probe or lock file is left behind")
        if let path = ProcessInfo.processInfo.environment["GLASSBOX_ROBUSTNESS_CLI_TABLE"] {
            try (table.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
