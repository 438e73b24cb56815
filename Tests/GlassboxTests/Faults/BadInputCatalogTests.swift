import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// A catalogue of bad inputs and the error each gets. Every row must throw a Glassbox error (no
/// crash, no trap) whose message contains the listed words. With `GLASSBOX_ROBUSTNESS_TABLE=PATH`
/// the test also writes the table as Markdown (scripts/robustness-table.sh puts it in
/// ROBUSTNESS.md), so the documented messages are the ones the code gives.
final class BadInputCatalogTests: XCTestCase {
    struct Row {
        let input: String
        let expect: [String]
        let run: (URL) throws -> Void
    }

    func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func testEveryBadInputGetsANamedError() throws {
        let folder = try IOFixtures.temporaryFolder(self, name: "glassbox-catalogue")
        let be = IOFixtures.bigEndian
        let validModel = try Sequential.referenceCNN().safetensors().encode()
        let rows: [Row] = [
            Row(input: "IDX images with the magic of a label file", expect: ["magic"]) { folder in
                _ = try IDX.readImages(at: try self.write(be(0x0801) + be(1) + [7], "images-magic", in: folder))
            },
            Row(input: "IDX images cut short (header says 2 images of 28x28, 100 bytes follow)", expect: ["truncated"]) { folder in
                _ = try IDX.readImages(at: try self.write(be(0x0803) + be(2) + be(28) + be(28) + [UInt8](repeating: 1, count: 100), "images-short", in: folder))
            },
            Row(input: "IDX header claiming 10^12 images (4,000,000,000 x 1000 x 250)", expect: ["images-huge"]) { folder in
                _ = try IDX.readImages(at: try self.write(be(0x0803) + be(4_000_000_000) + be(1000) + be(250) + [0, 0], "images-huge", in: folder))
            },
            Row(input: "IDX labels gzip-compressed, then corrupted in the middle", expect: ["gzip"]) { folder in
                var bytes = [UInt8](try Gzip.compress(Data(be(0x0801) + be(300) + (0..<300).map { UInt8($0 % 10) })))
                for i in (bytes.count / 2)..<(bytes.count / 2 + 8) { bytes[i] ^= 0xA5 }
                _ = try IDX.readLabels(at: try self.write(bytes, "labels-corrupt.gz", in: folder))
            },
            Row(input: "safetensors file of 5 bytes", expect: ["too short"]) { _ in
                _ = try Safetensors.decode(Data([1, 2, 3, 4, 5]), path: "tiny.safetensors")
            },
            Row(input: "safetensors header length of 4 GB in a small file", expect: ["header length"]) { _ in
                _ = try Safetensors.decode(Data([0, 0, 0, 0, 1, 0, 0, 0] + [UInt8](repeating: 32, count: 16)), path: "huge-header.safetensors")
            },
            Row(input: "safetensors header that is not JSON", expect: ["JSON"]) { _ in
                _ = try Safetensors.decode(Data([4, 0, 0, 0, 0, 0, 0, 0] + Array("{{{{".utf8)), path: "bad-json.safetensors")
            },
            Row(input: "safetensors tensor of dtype F16", expect: ["F16"]) { _ in
                let header = Array(#"{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#.utf8)
                _ = try Safetensors.decode(Data([UInt8(header.count), 0, 0, 0, 0, 0, 0, 0] + header + [0, 0]), path: "f16.safetensors")
            },
            Row(input: "safetensors model with its last 1,000 bytes cut off", expect: ["past the end"]) { _ in
                _ = try Safetensors.decode(validModel.prefix(validModel.count - 1000), path: "cut.safetensors")
            },
            Row(input: "safetensors header whose tensors leave a gap in the data section", expect: ["belong to no tensor"]) { _ in
                let header = Array(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#.utf8)
                _ = try Safetensors.decode(Data([UInt8(header.count), 0, 0, 0, 0, 0, 0, 0] + header + [UInt8](repeating: 0, count: 8)), path: "gap.safetensors")
            },
            Row(input: "data folder holding both t10k-labels-idx1-ubyte and its .gz", expect: ["one file per part"]) { folder in
                let data = folder.appendingPathComponent("both")
                try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
                try IOFixtures.writeDataset(in: data, trainLabels: [0, 1], testLabels: [1, 0])
                try Data([1]).write(to: data.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
                _ = try Dataset.load(folder: data)
            },
            Row(input: "model file without architecture metadata", expect: ["architecture"]) { folder in
                let url = folder.appendingPathComponent("bare.safetensors")
                try Safetensors(tensors: ["layers.0.kernel": .init(shape: [1], values: [0])]).write(to: url)
                _ = try Sequential.load(from: url)
            },
            Row(input: "explain --shard part that is not JSON", expect: ["part.json", "not a glassbox explain shard file"]) { _ in
                _ = try ExplainShardFile.decode(Data("{\"kind\": ".utf8), source: "part.json")
            },
            Row(input: "explain --shard part whose record has 3 pixel values for a 2x2 image", expect: ["image 0, method 'kernel'", "3 pixel values"]) { _ in
                var image = ExplainedImage(position: 0)
                image.records = [.init(method: "kernel", target: 0, values: [1], pixelMap: [0, 0, 0], intensities: [1])]
                let run = ExplainRun(classNames: ["a"], width: 2, height: 2, images: 1)
                _ = try ExplainShardFile.decode(try ExplainShardFile(arguments: [], shard: Shard(index: 0, count: 1), run: run, results: [image]).encoded(),
                                                source: "part.json")
            },
            Row(input: "explain --shard part of 2^20 + 1 parts", expect: ["shard 0/1048577", "not a part of a run"]) { _ in
                let text = try String(decoding: ExplainShardFile(arguments: [], shard: Shard(index: 0, count: 1),
                    run: ExplainRun(classNames: ["a"], width: 1, height: 1, images: 0), results: []).encoded(), as: UTF8.self)
                _ = try ExplainShardFile.decode(Data(text.replacingOccurrences(of: "\"count\":1", with: "\"count\":1048577").utf8), source: "part.json")
            },
            Row(input: "PNG with a bad signature", expect: ["signature"]) { _ in
                _ = try PNG.decodeGray(Data([0x89, 0x50, 0x4E, 0x48, 13, 10, 26, 10, 0, 0]), path: "bad.png")
            },
            Row(input: "PNG header claiming 100000 x 100000 pixels", expect: ["100000"]) { _ in
                let ihdr = IOFixtures.ihdr(width: 100_000, height: 100_000, colorType: 0)
                _ = try PNG.decodeGray(IOFixtures.png(ihdr: ihdr, idat: [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), path: "huge.png")
            },
            Row(input: "PGM (P5) cut short", expect: ["truncated"]) { _ in
                _ = try PGM.decode(Data("P5\n28 28\n255\n".utf8 + [UInt8](repeating: 0, count: 100)), path: "short.pgm")
            },
            Row(input: "PGM with 16-bit samples (maxval 65535)", expect: ["65535"]) { _ in
                _ = try PGM.decode(Data("P5\n2 2\n65535\n".utf8 + [UInt8](repeating: 0, count: 8)), path: "deep.pgm")
            },
            Row(input: "image file in neither PNG nor PGM format", expect: ["PNG", "PGM"]) { folder in
                _ = try GrayImage.load(from: try self.write(Array("GIF89a".utf8), "picture.gif", in: folder))
            },
            Row(input: "--segments grid:40 on a 28x28 image", expect: ["grid:40"]) { _ in
                _ = try Segmentation.parse("grid:40", image: [Float](repeating: 0, count: 784), width: 28, height: 28)
            },
            Row(input: "--segments blob:3", expect: ["blob"]) { _ in
                _ = try Segmentation.parse("blob:3", image: [Float](repeating: 0, count: 784), width: 28, height: 28)
            },
            Row(input: "--device opencl:x", expect: ["opencl:x"]) { _ in _ = try DeviceChoice(parsing: "opencl:x") },
            Row(input: "exact Shapley over 25 segments", expect: ["kernel", "permutation"]) { _ in
                let model = try Sequential(inputShape: [10, 10, 1], layers: [Flatten(), try Dense(units: 2)])
                let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: CPUBackend()),
                                                     input: [Float](repeating: 0.5, count: 100), baseline: [Float](repeating: 0, count: 100),
                                                     segmentation: try Segmentation.grid(5, width: 10, height: 10), target: 0)
                _ = try ExactShapley().explain(request)
            },
            Row(input: "explaining class 12 of a 10-class model", expect: ["target class 12"]) { _ in
                let model = try Sequential.referenceCNN()
                _ = try ExplanationRequest(session: try InferenceSession(model: model, backend: CPUBackend()),
                                           input: [Float](repeating: 0, count: 784), baseline: [Float](repeating: 0, count: 784),
                                           segmentation: try Segmentation.grid(4, width: 28, height: 28), target: 12)
            },
            Row(input: "Keras JSON with a Lambda layer", expect: ["Lambda", "ReduceSum"]) { folder in
                let url = folder.appendingPathComponent("lambda.json")
                try Data(#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [null, 4]}}, {"class_name": "Lambda", "config": {"name": "l"}}]}}"#.utf8).write(to: url)
                _ = try KerasArchitecture.load(from: url)
            },
            Row(input: "Keras JSON graph whose layers form a cycle", expect: ["'a', 'b' form a cycle"]) { _ in
                func node(_ name: String, _ source: String) -> String {
                    #"{"class_name": "Dense", "name": ""# + name + #"", "config": {"name": ""# + name + #"", "units": 4}, "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [""# + source + #"", 0, 0]}}]}]}"#
                }
                let text = #"{"class_name": "Functional", "config": {"input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]], "layers": [{"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [null, 4]}, "inbound_nodes": []}, "#
                    + node("a", "b") + ", " + node("b", "a") + "]}}"
                _ = try KerasArchitecture.parse(Data(text.utf8), path: "cycle.json")
            },
            Row(input: "Keras JSON Add of inputs of two shapes", expect: ["'add' (Add)", "one shape"]) { _ in
                let text = #"{"class_name": "Functional", "config": {"input_layers": [["in", 0, 0]], "output_layers": [["add", 0, 0]], "layers": [{"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [null, 4]}, "inbound_nodes": []}, {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 3}, "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}]}]}, {"class_name": "Add", "name": "add", "config": {"name": "add"}, "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"keras_history": ["d", 0, 0]}}]]}]}]}}"#
                let (shape, nodes) = try KerasArchitecture.parse(Data(text.utf8), path: "add.json")
                _ = try Sequential(inputShape: shape, nodes: nodes)
            },
            Row(input: "image folder whose class folders hold images of two sizes", expect: ["every image must have one size"]) { folder in
                let data = folder.appendingPathComponent("sizes")
                for (name, side) in [("a", 3), ("b", 4)] {
                    try FileManager.default.createDirectory(at: data.appendingPathComponent(name), withIntermediateDirectories: true)
                    try Data(Array("P5\n\(side) \(side)\n255\n".utf8) + [UInt8](repeating: 7, count: side * side))
                        .write(to: data.appendingPathComponent("\(name)/0.pgm"))
                }
                _ = try Dataset.load(folder: data)
            },
            Row(input: "image folder with a class folder holding no images", expect: ["holds no .png or .pgm images"]) { folder in
                let data = folder.appendingPathComponent("empty-class")
                try FileManager.default.createDirectory(at: data.appendingPathComponent("a"), withIntermediateDirectories: true)
                try FileManager.default.createDirectory(at: data.appendingPathComponent("b"), withIntermediateDirectories: true)
                try Data(Array("P5\n2 2\n255\n".utf8) + [1, 2, 3, 4]).write(to: data.appendingPathComponent("a/0.pgm"))
                _ = try Dataset.load(folder: data)
            },
            Row(input: "IDX data read for a model of RGB images", expect: ["grayscale", "3 channels"]) { folder in
                let data = folder.appendingPathComponent("idx-rgb")
                try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
                try IOFixtures.writeDataset(in: data, trainLabels: [0, 1], testLabels: [1, 0])
                _ = try Dataset.load(folder: data, channels: 3)
            },
            Row(input: "ONNX file cut to a third of its size", expect: ["not an ONNX model", "truncated"]) { _ in
                let data = try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx"))
                _ = try ONNXImport.model(data.prefix(data.count / 3), path: "cut.onnx")
            },
            Row(input: "ONNX initializer whose bytes disagree with its shape", expect: ["holds 12 bytes"]) { _ in
                var proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx")))
                proto.graph.initializer[0].rawData = proto.graph.initializer[0].rawData.prefix(12)
                _ = try ONNXImport.model(try proto.serializedData(), path: "short.onnx")
            },
            Row(input: "ONNX node reading a tensor no node computes", expect: ["is not computed by an earlier node"]) { _ in
                var proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx")))
                proto.graph.node[1].input[0] = "nowhere"
                _ = try ONNXImport.model(try proto.serializedData(), path: "dangling.onnx")
            },
            Row(input: "ONNX graph with a cycle (a node reads the output of a later one)", expect: ["is not computed by an earlier node"]) { _ in
                var proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx")))
                proto.graph.node[1].input[0] = proto.graph.node[3].output[0]
                _ = try ONNXImport.model(try proto.serializedData(), path: "cycle.onnx")
            },
            Row(input: "ONNX initializer claiming 2^40 values", expect: ["claims shape [1099511627776]"]) { _ in
                var proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx")))
                proto.graph.initializer[0].dims = [1 << 40]
                _ = try ONNXImport.model(try proto.serializedData(), path: "huge.onnx")
            },
            Row(input: "ONNX operator Glassbox does not read (Erf)", expect: ["(Erf)", "operator not supported"]) { _ in
                var proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx")))
                proto.graph.node[1].opType = "Erf"
                _ = try ONNXImport.model(try proto.serializedData(), path: "erf.onnx")
            },
            Row(input: ".keras file that is not a zip archive", expect: ["junk.keras", "not a zip archive"]) { _ in
                _ = try KerasFile.model(Data("PK but not really a zip".utf8), path: "junk.keras")
            },
            Row(input: ".keras zip entry claiming 2 GB more than the archive holds", expect: ["zip entry 'model.weights.h5'", "run past the end of the archive"]) { _ in
                var data = try Data(contentsOf: ImportFixtures.url("keras-cnn.keras"))
                let record = data.range(of: Data("model.weights.h5".utf8), options: .backwards)!.lowerBound - 46
                data.replaceSubrange(record + 20..<record + 28, with: [0, 0, 0, 0x7f, 0, 0, 0, 0x7f])
                _ = try KerasFile.model(data, path: "lying.keras")
            },
            Row(input: ".keras weights entry that is not HDF5", expect: ["model.weights.h5", "not an HDF5 file"]) { _ in
                let archive = try ZipArchive(try Data(contentsOf: ImportFixtures.url("keras-cnn.keras")), path: "x")
                _ = try HDF5File(Data(try archive.contents(of: "config.json")!), path: "model.keras (model.weights.h5)")
            },
            Row(input: ".keras HDF5 weights cut to half", expect: ["model.keras (model.weights.h5)", "past the end of the"]) { _ in
                let archive = try ZipArchive(try Data(contentsOf: ImportFixtures.url("keras-cnn.keras")), path: "x")
                let weights = try archive.contents(of: "model.weights.h5")!
                _ = try KerasFile.model(config: try archive.contents(of: "config.json")!, weights: weights.prefix(weights.count / 2), path: "model.keras")
            },
            Row(input: ".keras HDF5 weights whose heap claims 256 GiB (fuzz finding 8)", expect: ["heap.keras (model.weights.h5)", "exceeds the"]) { _ in
                let archive = try ZipArchive(try Data(contentsOf: ImportFixtures.url("keras-cnn.keras")), path: "x")
                let crash = ImportFixtures.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("Fuzz/crashes/hdf5/huge-heap-claim.h5")
                _ = try KerasFile.model(config: try archive.contents(of: "config.json")!, weights: try Data(contentsOf: crash), path: "heap.keras")
            },
            Row(input: ".keras model with a Lambda layer", expect: ["'lambda' (Lambda)", "export the model to ONNX"]) { _ in
                _ = try KerasFile.model(try Data(contentsOf: ImportFixtures.url("keras-seed.keras")), path: "seed.keras")
            },
            Row(input: "CSV table with a ragged row", expect: ["ragged.csv", "line 3", "2 cells, but the header has 3 columns"]) { _ in
                _ = try CSVTable(Data("a,b,label\n1,2,x\n3,4\n".utf8), path: "ragged.csv")
            },
            Row(input: "CSV table with a cell that is not a number", expect: ["cell.csv", "line 3, column 'b'"]) { _ in
                _ = try TabularData.make(try CSVTable(Data("a,b,label\n1,2,x\n3,4kg,y\n".utf8), path: "cell.csv"), path: "cell.csv")
            },
            Row(input: "CSV table without the label column asked for", expect: ["nolabel.csv", "no label column 'diagnosis'"]) { _ in
                _ = try TabularData.make(try CSVTable(Data("a,b,label\n1,2,x\n".utf8), path: "nolabel.csv"), path: "nolabel.csv", label: "diagnosis")
            },
            Row(input: "empty CSV file", expect: ["empty.csv", "empty: no header row"]) { _ in
                _ = try CSVTable(Data(), path: "empty.csv")
            },
            Row(input: "CSV test file with a label the training rows never had", expect: ["test.csv", "line 2", "label 'z' is not among the training labels"]) { _ in
                let train = try CSVTable(Data("a,label\n1,x\n2,y\n".utf8), path: "train.csv")
                _ = try TabularData.make(train, path: "train.csv", test: (try CSVTable(Data("a,label\n1,z\n".utf8), path: "test.csv"), "test.csv"))
            },
            Row(input: "model file whose table schema names 3 features for a model of 2 inputs", expect: ["metadata 'tabular'", "3 feature names"]) { folder in
                var model = try Sequential(inputShape: [2], layers: [try Dense(units: 2, activation: .softmax)])
                model.tabular = TabularSchema(featureNames: ["a", "b", "c"], label: "y", standardization: .init(mean: [0, 0, 0], scale: [1, 1, 1]))
                let url = folder.appendingPathComponent("schema.safetensors")
                try model.safetensors().write(to: url)
                _ = try Sequential.load(from: url)
            },
            Row(input: "table without a column the model was trained on", expect: ["rows.csv", "no column 'b'"]) { _ in
                let schema = TabularSchema(featureNames: ["a", "b"], label: "y", standardization: .init(mean: [0, 0], scale: [1, 1]))
                _ = try schema.inputs(of: try CSVTable(Data("a,c,y\n1,2,x\n".utf8), path: "rows.csv"), path: "rows.csv")
            },
            Row(input: "scikit-learn style CSV without its description file", expect: ["data.csv", "description", "missing"]) { folder in
                let url = folder.appendingPathComponent("data.csv")
                try Data("2,2,no,yes\n1,2,0\n3,4,1\n".utf8).write(to: url)
                _ = try TabularFile.read(url.path)
            },
            Row(input: "integrated gradients given a background of several rows", expect: ["integrated-gradients", "one baseline row"]) { _ in
                let model = try Sequential(inputShape: [2], layers: [try Dense(units: 2, activation: .softmax)])
                let session = try InferenceSession(model: model, backend: CPUBackend())
                _ = try IntegratedGradients().explain(try ExplanationRequest(session: session, input: [1, 2], baseline: [0, 0, 1, 1],
                    segmentation: try Segmentation(width: 2, height: 1, segmentOfPixel: [0, 1]), target: 0))
            },
            Row(input: "training data holding a NaN", expect: ["sample 1"]) { _ in
                var model = try Sequential(inputShape: [2], layers: [try Dense(units: 2, activation: .softmax)])
                try model.compile()
                _ = try model.fit(x: [0, 1, .nan, 0], y: [0, 1], epochs: 1, backend: CPUBackend())
            },
        ]
        var table = ["| bad input | error |", "|---|---|"]
        for row in rows {
            do {
                try row.run(folder)
                XCTFail("\(row.input): no error")
            } catch let error as GlassboxError {
                let message = "\(error)".replacingOccurrences(of: folder.path, with: "DIR").replacingOccurrences(of: "\n", with: " ")
                for word in row.expect { XCTAssertTrue(message.contains(word), "\(row.input): '\(message)' lacks '\(word)'") }
                table.append("| \(row.input) | \(message.replacingOccurrences(of: "|", with: "\\|")) |")
            } catch {
                XCTFail("\(row.input): not a GlassboxError: \(error)")
            }
        }
        if let path = ProcessInfo.processInfo.environment["GLASSBOX_ROBUSTNESS_TABLE"] {
            try (table.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
