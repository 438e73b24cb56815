import Foundation

/// The models and outputs written by `bench/onnx_fixtures.py` in `Tests/Fixtures/onnx`: ONNX
/// exports of PyTorch and Keras models, `.keras` files, the first 256 Fashion-MNIST test images
/// (`images.u8`) and each model's outputs on them from its framework and from ONNX Runtime.
public enum ImportFixtures {
    /// `Tests/Fixtures/onnx`.
    public static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/onnx")
    }

    /// The fixture file `name` (`torch-cnn.onnx`, `keras-cnn.keras`).
    public static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// The 256 images' raw pixels, 784 bytes each, row-major.
    public static func rawImages() throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: url("images.u8")))
        return stride(from: 0, to: bytes.count, by: 784).map { Array(bytes[$0..<$0 + 784]) }
    }

    /// The 256 images as one batch of pixels / 255.
    public static func images() throws -> [Float] {
        try rawImages().flatMap { $0.map { Float($0) / 255 } }
    }

    /// One model's recorded outputs (`<model>-outputs.json`).
    public struct Reference: Decodable {
        public struct Shapley: Decodable {
            public let grid: Int
            public let target: Int
            public let values: [Double]
        }
        public let operators: [String]
        public let images: Int
        public let output_shape: [Int]?
        public let exact_shapley: Shapley?
        let torch: Data?
        let keras: Data?
        let onnxruntime: Data

        /// The exporting framework's name and its outputs, all images in one array.
        public var framework: (name: String, outputs: [Float]) {
            torch.map { ("PyTorch", Self.floats($0)) } ?? ("Keras", Self.floats(keras ?? Data()))
        }

        /// ONNX Runtime's outputs, all images in one array.
        public var runtime: [Float] { Self.floats(onnxruntime) }

        /// Little-endian float32 values.
        static func floats(_ data: Data) -> [Float] {
            stride(from: 0, to: data.count - 3, by: 4).map { offset in
                Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[data.startIndex + offset + $1]) << (8 * $1) })
            }
        }
    }

    /// The recorded outputs of the fixture model `name` (`torch-cnn`).
    public static func reference(_ name: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: try Data(contentsOf: url("\(name)-outputs.json")))
    }
}
