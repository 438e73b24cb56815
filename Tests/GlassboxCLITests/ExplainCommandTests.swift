import Foundation
import XCTest

/// `explain` and `surrogate` on the tiny data set, through the built binary on the CPU reference,
/// with a model trained once for the class.
final class ExplainCommandTests: TrainedModelTestCase {
    /// `glassbox explain --model M --device cpu arguments`, with `--data D` unless told otherwise.
    func explain(_ arguments: [String], data: Bool = true) throws -> GlassboxBinary.Result {
        let trained = try trainedModel()
        return try GlassboxBinary.run(["explain", "--model", trained.model.path, "--device", "cpu"]
                                      + (data ? ["--data", trained.data.path] : []) + arguments)
    }

    /// The one JSON object a successful single-image `--format json` run prints.
    func explanation(_ arguments: [String], data: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try explain(arguments + ["--format", "json"], data: data)
        XCTAssertEqual(result.status, 0, result.transcript, file: file, line: line)
        return try jsonObject(result.standardOutput)
    }

    func jsonObject(_ text: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Failure(description: "not a JSON object:\n\(text)")
        }
        return object
    }

    func methods(_ object: [String: Any]) throws -> [[String: Any]] {
        try XCTUnwrap(object["methods"] as? [[String: Any]], "\(object)")
    }

    func numbers(_ value: Any?) throws -> [Double] {
        let array = try XCTUnwrap(value as? [Any], "\(String(describing: value))")
        return try array.map { try XCTUnwrap(($0 as? NSNumber)?.doubleValue, "\($0)") }
    }

    /// The pixel map of a method, which JSON gives as rows.
    func pixelMap(_ method: [String: Any]) throws -> [[Double]] {
        try XCTUnwrap(method["pixel_map"] as? [Any]).map { try numbers($0) }
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Width and height from a PNG's IHDR chunk, which follows the signature.
    func pngSize(_ url: URL) throws -> (width: Int, height: Int) {
        let bytes = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(Array(bytes.prefix(8)), Self.pngSignature, url.path)
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
        func word(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        return (word(16), word(20))
    }

    func occurrences(of fragment: String, in text: String) -> Int { text.components(separatedBy: fragment).count - 1 }

    // MARK: Tests

    /// Exact, kernel and LIME on a 2x2 grid: the documented keys, a 28x28 pixel map that spreads
    /// each segment's value over its block, exact values that add up to prediction minus base
    /// value (to 1e-5: float outputs), kernel SHAP equal to them (4 segments: its budget covers all
    /// 14 coalitions, and the weighted regression over all of them gives the Shapley values), and
    /// the deletion/insertion metrics and method consistency.
    func testExactKernelAndLimeAsJSON() throws {
        let object = try explanation(["--index", "0", "--method", "exact,kernel,lime", "--segments", "grid:2", "--samples", "200"])
        XCTAssertEqual(Set(object.keys), ["index", "image", "label", "predicted", "target", "probabilities", "segments", "methods", "consistency"])
        XCTAssertEqual(object["index"] as? Int, 0)
        XCTAssertTrue(object["image"] is NSNull, "\(object["image"] ?? "")")
        XCTAssertEqual(object["label"] as? Int, Int(TinyDataset.label(0, test: true)))
        XCTAssertEqual(object["segments"] as? Int, 4)
        let probabilities = try numbers(object["probabilities"])
        XCTAssertEqual(probabilities.count, 10)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
        let predicted = try XCTUnwrap(object["predicted"] as? Int)
        XCTAssertEqual(predicted, probabilities.indices.max { probabilities[$0] < probabilities[$1] })
        XCTAssertEqual(object["target"] as? Int, predicted, "--target predicted is the default")

        let methods = try methods(object)
        XCTAssertEqual(methods.compactMap { $0["method"] as? String }, ["exact", "kernel", "lime"])
        var valuesByMethod: [String: [Double]] = [:]
        for method in methods {
            let name = method["method"] as? String ?? "?"
            XCTAssertTrue(Set(method.keys).isSuperset(of: ["method", "target", "base_value", "prediction", "values", "pixel_map",
                                                           "metrics", "samples", "seconds", "efficiency_gap"]), "\(name): \(method.keys)")
            XCTAssertEqual(method["target"] as? Int, predicted, name)
            let prediction = try XCTUnwrap((method["prediction"] as? NSNumber)?.doubleValue)
            XCTAssertEqual(prediction, probabilities[predicted], accuracy: 1e-6, "\(name): the model's output for the input")
            let values = try numbers(method["values"])
            XCTAssertEqual(values.count, 4, name)
            valuesByMethod[name] = values
            let map = try pixelMap(method)
            XCTAssertEqual(map.count, 28, name)
            XCTAssertTrue(map.allSatisfy { $0.count == 28 }, name)
            for row in 0..<28 { for column in 0..<28 { XCTAssertEqual(map[row][column], values[(row / 14) * 2 + column / 14], "\(name) (\(row), \(column))") } }
            let metrics = try XCTUnwrap(method["metrics"] as? [String: Any], name)
            for key in ["deletion_auc", "insertion_auc"] {
                let area = try XCTUnwrap((metrics[key] as? NSNumber)?.doubleValue, "\(name) \(key): \(metrics)")
                XCTAssertTrue((0...1).contains(area), "\(name) \(key) \(area): an area under probabilities")
            }
            XCTAssertGreaterThan(try XCTUnwrap(method["samples"] as? Int), 0, name)
        }
        let exact = methods[0]
        XCTAssertEqual(exact["samples"] as? Int, 16, "2^4 coalitions")
        let gap = try XCTUnwrap((exact["efficiency_gap"] as? NSNumber)?.doubleValue)
        XCTAssertLessThan(abs(gap), 1e-5)
        let base = try XCTUnwrap((exact["base_value"] as? NSNumber)?.doubleValue)
        XCTAssertEqual(valuesByMethod["exact"]!.reduce(0, +), probabilities[predicted] - base, accuracy: 1e-5)
        for (kernel, exact) in zip(valuesByMethod["kernel"]!, valuesByMethod["exact"]!) { XCTAssertEqual(kernel, exact, accuracy: 1e-4) }

        let consistency = try XCTUnwrap(object["consistency"] as? [String: Any])
        XCTAssertEqual(Set(consistency.keys), ["exact~kernel", "exact~lime", "kernel~lime"])
        for (key, value) in consistency {
            let rho = try XCTUnwrap((value as? NSNumber)?.doubleValue, key)
            XCTAssertTrue((-1...1).contains(rho), "\(key): Spearman's rho \(rho)")
        }
    }

    /// The PNG has the input and one panel per method (8 px gaps, 8x scale: 8 + 232 per panel);
    /// the HTML report is one page with every image embedded and nothing fetched from elsewhere.
    /// Regression: `--stability` once left the last perturbed input in place, so every method
    /// after the first explained it instead of the image.
    func testStabilityLeavesLaterMethodsOnTheImage() throws {
        let object = try explanation(["--index", "0", "--method", "exact,kernel", "--segments", "grid:2", "--stability", "1"])
        let probabilities = try XCTUnwrap(object["probabilities"] as? [Double])
        let target = try XCTUnwrap(object["target"] as? Int)
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.count, 2)
        for method in methods {
            XCTAssertEqual(try XCTUnwrap(method["prediction"] as? Double), probabilities[target], accuracy: 1e-6, "\(method["method"] ?? "")")
            let metrics = try XCTUnwrap(method["metrics"] as? [String: Double])
            XCTAssertGreaterThan(try XCTUnwrap(metrics["max_sensitivity"]), 0)
        }
    }

    /// `--seed-consistency` reruns each method with the next seed: exact does not sample, so its
    /// two runs rank the segments identically.
    func testSeedConsistency() throws {
        let object = try explanation(["--index", "1", "--method", "exact,lime", "--segments", "grid:2", "--seed-consistency"])
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        for method in methods {
            let value = try XCTUnwrap((method["metrics"] as? [String: Double])?["seed_consistency"])
            XCTAssertTrue((-1...1).contains(value))
            if method["method"] as? String == "exact" { XCTAssertEqual(value, 1, accuracy: 1e-12) }
        }
    }

    /// `--global` aggregates: per-class counts add up to the images, maps are 28x28, the ranking
    /// covers every segment; the PNGs and the report are written.
    func testGlobalAggregates() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-global-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let png = folder.appendingPathComponent("global.png"), report = folder.appendingPathComponent("global.html")
        let object = try explanation(["--index", "0", "--count", "6", "--global", "--method", "kernel,lime", "--segments", "grid:2",
                                      "--png", png.path, "--report", report.path])
        XCTAssertEqual(object["global"] as? Bool, true)
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.compactMap { $0["method"] as? String }, ["kernel", "lime"])
        for method in methods {
            XCTAssertEqual((method["images_per_class"] as? [Int])?.reduce(0, +), 6)
            XCTAssertEqual((method["ranking"] as? [[String: Any]])?.count, 4)
            let maps = try XCTUnwrap(method["mean_pixel_map_per_class"] as? [[[Double]]])
            XCTAssertEqual(maps.count, 10)
            XCTAssertEqual(maps[0].count, 28)
        }
        for name in ["global-kernel.png", "global-kernel-summary.png", "global-lime.png", "global-lime-summary.png", "global-kernel.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }
    }

    func testPNGAndSelfContainedReport() throws {
        let folder = try temporaryFolder()
        let png = folder.appendingPathComponent("heatmaps.png"), report = folder.appendingPathComponent("report.html")
        let result = try explain(["--index", "1", "--method", "exact,kernel", "--segments", "grid:2", "--png", png.path, "--report", report.path])
        XCTAssertEqual(result.status, 0, result.transcript)
        XCTAssertTrue(result.standardOutput.hasPrefix("test image 1: predicted "), result.transcript)
        XCTAssertTrue(result.standardOutput.contains("  consistency (Spearman) exact~kernel: "), result.transcript)
        // Three columns of at least 8 + 224 pixels (wider where a title or a colour-bar label
        // needs it), and rows for the titles above and the scale labels under the colour bars.
        let size = try pngSize(png)
        XCTAssertTrue((8 + 232 * 3)...(8 + 300 * 3) ~= size.width, "\(size)")
        XCTAssertGreaterThan(size.height, 8 + 224 + 8 + 10 + 8 + 2 * 14, "titles and scale labels")

        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"), String(html.prefix(100)))
        XCTAssertTrue(html.hasSuffix("</html>") || html.hasSuffix("</html>\n"), String(html.suffix(100)))
        XCTAssertEqual(occurrences(of: "src=\"data:image/png;base64,", in: html), 3, "the input and one heatmap per method")
        XCTAssertEqual(occurrences(of: "src=", in: html), 3, "no other sources")
        for reference in ["src=\"http", "href=", "file:", "url(", "<script", "<link"] {
            XCTAssertFalse(html.contains(reference), "the report refers to something outside it: \(reference)")
        }
        XCTAssertTrue(html.contains("<b>exact</b>") && html.contains("<b>kernel</b>"), "both methods are shown")
    }

    /// With --count, one compact JSON object per line (each parsed alone) and a progress line per
    /// image on stderr.
    func testSeveralImagesStreamOneJSONLinePerImage() throws {
        let result = try explain(["--index", "0", "--count", "3", "--method", "exact", "--segments", "grid:2", "--format", "json"])
        XCTAssertEqual(result.status, 0, result.transcript)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, result.transcript)
        for (offset, line) in lines.enumerated() {
            let object = try jsonObject(line)
            XCTAssertEqual(object["index"] as? Int, offset)
            XCTAssertEqual(object["label"] as? Int, Int(TinyDataset.label(offset, test: true)))
            XCTAssertEqual(try methods(object).count, 1)
        }
        for position in 1...3 {
            XCTAssertTrue(result.standardError.contains("explaining test image \(position - 1) (\(position)/3)"), result.transcript)
        }
    }

    /// With --count, each image's PNG is named after its test index.
    func testSeveralImagesWriteOnePNGEach() throws {
        let folder = try temporaryFolder()
        let png = folder.appendingPathComponent("P.png")
        let result = try explain(["--index", "4", "--count", "2", "--method", "exact", "--segments", "grid:2", "--png", png.path])
        XCTAssertEqual(result.status, 0, result.transcript)
        for index in [4, 5] {
            XCTAssertTrue((8 + 232 * 2)...(8 + 300 * 2) ~= (try pngSize(folder.appendingPathComponent("P-\(index).png")).width))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: png.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["P-4.png", "P-5.png"])
    }

    /// Test image 2 written as a PGM and given with --image is explained exactly as with --index 2.
    func testImageFileIsExplainedLikeTheSameTestImage() throws {
        let file = try temporaryFolder().appendingPathComponent("two.pgm")
        try TinyDataset.pgm(width: 28, height: 28, pixels: TinyDataset.image(2, test: true)).write(to: file)
        let arguments = ["--method", "exact", "--segments", "grid:2"]
        let fromFile = try explanation(arguments + ["--image", file.path], data: false)
        XCTAssertTrue(fromFile["index"] is NSNull && fromFile["label"] is NSNull, "\(fromFile)")
        XCTAssertEqual(fromFile["image"] as? String, file.path)
        let fromData = try explanation(arguments + ["--index", "2"])
        XCTAssertEqual(try numbers(fromFile["probabilities"]), try numbers(fromData["probabilities"]))
        XCTAssertEqual(try numbers(try methods(fromFile)[0]["values"]), try numbers(try methods(fromData)[0]["values"]))
    }

    /// A PGM segment map of three bands with values 250, 10 and 128 (top to bottom): three
    /// segments, numbered by increasing value (10 -> 0, 128 -> 1, 250 -> 2).
    func testSegmentMapFile() throws {
        let file = try temporaryFolder().appendingPathComponent("segments.pgm")
        let bands = (0..<784).map { p -> UInt8 in p / 28 < 10 ? 250 : p / 28 < 20 ? 10 : 128 }
        try TinyDataset.pgm(width: 28, height: 28, pixels: bands).write(to: file)
        let object = try explanation(["--index", "0", "--method", "exact", "--segments", file.path])
        XCTAssertEqual(object["segments"] as? Int, 3)
        let exact = try methods(object)[0]
        let values = try numbers(exact["values"])
        XCTAssertEqual(values.count, 3)
        XCTAssertEqual(exact["samples"] as? Int, 8)
        let map = try pixelMap(exact)
        XCTAssertEqual(map[0][0], values[2])
        XCTAssertEqual(map[9][27], values[2])
        XCTAssertEqual(map[10][0], values[0])
        XCTAssertEqual(map[27][27], values[1])
        XCTAssertLessThan(abs(try XCTUnwrap((exact["efficiency_gap"] as? NSNumber)?.doubleValue)), 1e-5)
    }

    /// Each baseline changes what absent segments show, so the base value (the output with every
    /// segment absent) but not the prediction; exact values still add up. An all-black image file
    /// is the zero baseline.
    func testBaselines() throws {
        let black = try temporaryFolder().appendingPathComponent("black.pgm")
        try TinyDataset.pgm(width: 28, height: 28, pixels: [UInt8](repeating: 0, count: 784)).write(to: black)
        var bases: [String: Double] = [:], predictions: Set<Double> = []
        for baseline in ["zero", "blur:1.5", "blur", "mean", black.path] {
            let exact = try methods(try explanation(["--index", "3", "--method", "exact", "--segments", "grid:2", "--baseline", baseline]))[0]
            bases[baseline] = try XCTUnwrap((exact["base_value"] as? NSNumber)?.doubleValue, baseline)
            predictions.insert(try XCTUnwrap((exact["prediction"] as? NSNumber)?.doubleValue, baseline))
            XCTAssertLessThan(abs(try XCTUnwrap((exact["efficiency_gap"] as? NSNumber)?.doubleValue)), 1e-5, baseline)
        }
        XCTAssertEqual(predictions.count, 1, "the input is the same: \(predictions)")
        XCTAssertEqual(bases[black.path], bases["zero"])
        XCTAssertEqual(Set(["zero", "blur:1.5", "blur", "mean"].map { bases[$0]! }).count, 4, "\(bases)")
    }

    /// Every method's JSON carries `std_errors` and `interval` at `--confidence`; exact methods
    /// zeros; `--tolerance` adds how the run ended; text shows value ± half-width; `--global`
    /// gives each ranked segment its standard error over the images, and with a tolerance stops
    /// adding images once the ranking is settled (a loose tolerance) or runs to `--count` (a
    /// tight one).
    func testStandardErrorsIntervalsAndTolerance() throws {
        let object = try explanation(["--index", "0", "--method", "exact,permutation,lime", "--segments", "grid:3", "--samples", "300",
                                      "--confidence", "0.9", "--tolerance", "0.2"])
        let methods = try methods(object)
        for method in methods {
            let name = method["method"] as? String ?? "?"
            let values = try numbers(method["values"]), errors = try numbers(method["std_errors"])
            XCTAssertEqual(errors.count, values.count, name)
            let interval = try XCTUnwrap(method["interval"] as? [String: Any], name)
            XCTAssertEqual((interval["level"] as? NSNumber)?.doubleValue, 0.9)
            let low = try numbers(interval["low"]), high = try numbers(interval["high"])
            for s in values.indices {
                XCTAssertEqual(values[s] - low[s], high[s] - values[s], accuracy: 1e-9, name)
                XCTAssertGreaterThanOrEqual(high[s] - low[s], 2 * 1.6 * errors[s], "\(name): at least z(0.95) = 1.645 errors each side")
            }
            if name == "exact" {
                XCTAssertEqual(errors, [Double](repeating: 0, count: 9))
                XCTAssertNil(method["convergence"])
            } else {
                XCTAssertTrue(errors.allSatisfy { $0 > 0 }, name)
                let convergence = try XCTUnwrap(method["convergence"] as? [String: Any], name)
                XCTAssertEqual(convergence["evaluations"] as? Int, method["samples"] as? Int, name)
                XCTAssertNotNil(convergence["converged"] as? Bool, name)
            }
        }
        let text = try explain(["--index", "0", "--method", "exact,kernel", "--segments", "grid:3", "--samples", "100"])
        XCTAssertEqual(text.status, 0, text.transcript)
        XCTAssertTrue(text.standardOutput.contains("top segments (exact): "), text.transcript)
        XCTAssertTrue(text.standardOutput.contains("top segments (value ± half-width of the 95% interval): "), text.transcript)
        XCTAssertTrue(text.standardOutput.range(of: #"[+-]\d\.\d{4} ± \d\.\d{4}"#, options: .regularExpression) != nil, text.transcript)

        func global(_ tolerance: String) throws -> [String: Any] {
            let result = try explain(["--index", "0", "--count", "8", "--global", "--method", "lime", "--segments", "grid:2",
                                      "--samples", "100", "--tolerance", tolerance, "--format", "json"])
            XCTAssertEqual(result.status, 0, result.transcript)
            return try XCTUnwrap(try jsonObject(result.standardOutput)["methods"] as? [[String: Any]]).first!
        }
        let loose = try global("1000"), tight = try global("1e-9")
        let looseConvergence = try XCTUnwrap(loose["convergence"] as? [String: Any]), tightConvergence = try XCTUnwrap(tight["convergence"] as? [String: Any])
        XCTAssertEqual(looseConvergence["converged"] as? Bool, true)
        XCTAssertEqual(loose["images"] as? Int, 2, "two images give the first standard errors")
        XCTAssertEqual(tightConvergence["converged"] as? Bool, false)
        XCTAssertEqual(tight["images"] as? Int, 8)
        for entry in try XCTUnwrap(tight["ranking"] as? [[String: Any]]) {
            let mean = try XCTUnwrap((entry["mean_abs_value"] as? NSNumber)?.doubleValue)
            let error = try XCTUnwrap((entry["std_error"] as? NSNumber)?.doubleValue)
            let interval = try XCTUnwrap(entry["interval"] as? [String: Any])
            XCTAssertGreaterThan(error, 0)
            XCTAssertEqual(try XCTUnwrap((interval["high"] as? NSNumber)?.doubleValue) - mean, mean - (try XCTUnwrap((interval["low"] as? NSNumber)?.doubleValue)), accuracy: 1e-12)
        }
    }

    func testErrorsNameTheProblem() throws {
        let folder = try temporaryFolder()
        let narrow = folder.appendingPathComponent("narrow.pgm")
        try TinyDataset.pgm(width: 27, height: 28, pixels: [UInt8](repeating: 9, count: 27 * 28)).write(to: narrow)
        let cases: [([String], [String])] = [
            (["--index", "0", "--method", "exact,shapley"], ["unknown method 'shapley'", "exact, kernel, permutation, partition, lime"]),
            (["--index", "0", "--segments", "grid:40"], ["grid:40", "28x28"]),
            (["--index", "0", "--method", "exact", "--segments", "grid:5"], ["25 segments", "kernel"]),
            (["--index", "0", "--target", "12"], ["target class 12", "0..<10"]),
            (["--index", "0", "--target", "seven"], ["--target must be 'predicted', a class index or a position such as 5,3 (got seven)"]),
            (["--image", narrow.path], [narrow.path, "27x28", "28x28"]),
            (["--index", "0", "--segments", narrow.path], [narrow.path, "27x28"]),
            (["--index", "0", "--format", "xml"], ["--format must be text or json (got xml)"]),
            ([], ["give --image FILE or --index I"]),
            (["--index", "16"], ["--index 16 is past the last test image (16 in all"]),
            (["--index", "0", "--baseline", "blur:0"], ["--baseline blur:SIGMA needs a positive number"]),
            (["--index", "0", "--confidence", "1.5"], ["--confidence", "1.5", "between 0 and 1"]),
            (["--index", "0", "--tolerance", "0"], ["--tolerance", "positive"]),
            (["--index", "0", "--deep-output", "softmax"], ["--deep-output must be probability or logit (got softmax)"]),
        ]
        for (arguments, fragments) in cases { assertFails(try explain(arguments), naming: fragments) }
    }

    /// gradient-shap draws training images as its background: neither the report nor the JSON
    /// may carry them. The report embeds exactly the input and one heatmap per method, and no
    /// array in the JSON (pixel maps flattened) equals a training image, as bytes or as [0, 1].
    func testTrainingImagesStayOutOfReportsAndJSON() throws {
        let report = try temporaryFolder().appendingPathComponent("report.html")
        let result = try explain(["--index", "0", "--method", "gradient-shap,exact", "--segments", "grid:2", "--samples", "8",
                                  "--report", report.path, "--format", "json"])
        XCTAssertEqual(result.status, 0, result.transcript)
        let object = try jsonObject(result.standardOutput)
        let methods = try methods(object)
        XCTAssertEqual(methods.count, 2)
        XCTAssertEqual(((methods[0]["metrics"] as? [String: Any])?["background_size"] as? NSNumber)?.doubleValue, 32,
                       "the background was drawn: 100 distinct images asked, all 32 training images there are")
        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertEqual(occurrences(of: "data:image/png", in: html), 1 + methods.count)

        // Every array of numbers, and every array of such arrays flattened (the pixel maps' rows).
        var arrays: [[Double]] = []
        func doubles(_ array: [Any]) -> [Double]? {
            let numbers = array.compactMap { ($0 as? NSNumber)?.doubleValue }
            return numbers.count == array.count ? numbers : nil
        }
        func collect(_ value: Any) {
            if let dictionary = value as? [String: Any] { dictionary.values.forEach(collect) }
            guard let array = value as? [Any], !array.isEmpty else { return }
            if let flat = doubles(array) { arrays.append(flat); return }
            let rows = array.compactMap { ($0 as? [Any]).flatMap(doubles) }
            if rows.count == array.count { arrays.append(rows.flatMap { $0 }) }
            array.forEach(collect)
        }
        collect(object)
        XCTAssertTrue(arrays.contains { $0.count == 784 }, "the pixel maps were found")
        for i in 0..<TinyDataset.trainCount {
            let bytes = TinyDataset.image(i, test: false).map(Double.init)
            for array in arrays where array.count == 784 {
                XCTAssertFalse(zip(array, bytes).allSatisfy { abs($0 - $1) < 1e-3 }, "training image \(i) as bytes")
                XCTAssertFalse(zip(array, bytes).allSatisfy { abs($0 - $1 / 255) < 1e-5 }, "training image \(i) in [0, 1]")
            }
        }
    }

    func testSurrogatePrintsRulesAndFidelityAndWritesADiagram() throws {
        let trained = try trainedModel()
        let dot = try temporaryFolder().appendingPathComponent("tree.dot")
        let result = try GlassboxBinary.run(["surrogate", "--model", trained.model.path, "--data", trained.data.path, "--count", "32",
                                             "--max-depth", "2", "--min-leaf", "2", "--device", "cpu", "--out", dot.path])
        XCTAssertEqual(result.status, 0, result.transcript)
        let output = result.standardOutput
        XCTAssertTrue(output.hasPrefix("# imitates "), result.transcript)
        XCTAssertTrue(output.contains("-> "), "a leaf:\n\(result.transcript)")
        XCTAssertTrue(output.contains("fidelity on "), result.transcript)
        XCTAssertTrue(output.contains(" training images"), result.transcript)
        XCTAssertTrue(output.hasSuffix("diagram: \(dot.path)\n"), result.transcript)
        let text = try String(contentsOf: dot, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("digraph"), text)
        XCTAssertTrue(text.contains("}"), text)
    }
}
