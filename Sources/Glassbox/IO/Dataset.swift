import Foundation

/// An image classification data set in memory: MNIST, Fashion-MNIST, any folder of IDX files
/// laid out like them, or a folder of class folders of images (``loadImageFolder(_:channels:)``).
///
/// Images are stored flat and row-major, image after image (`count * rows * columns` values,
/// each pixel / 255 in 0...1), ready for a `[batch, rows, columns, 1]` tensor. Labels are class
/// indices stored as `Float` (0, 1, 2, ...) to upload without conversion.
public struct Dataset: Sendable {
    /// `trainCount * rows * columns` pixel values in 0...1.
    public let trainImages: [Float]
    /// `trainCount` class indices.
    public let trainLabels: [Float]
    /// `testCount * rows * columns` pixel values in 0...1.
    public let testImages: [Float]
    /// `testCount` class indices.
    public let testLabels: [Float]
    /// The height of each image.
    public let rows: Int
    /// The width of each image.
    public let columns: Int
    /// Values per pixel: 1 (gray) or 3 (RGB).
    public let channels: Int
    /// The values of one image: `rows * columns * channels`.
    public var imageSize: Int { rows * columns * channels }
    /// One image's shape as a model takes it, `[rows, columns, channels]`.
    public var imageShape: [Int] { [rows, columns, channels] }
    /// The name of each class, indexed by label.
    public let classNames: [String]
    /// `"fashion-mnist"`, `"mnist"`, or the folder's name.
    public let name: String

    /// The number of training images.
    public var trainCount: Int { trainLabels.count }
    /// The number of test images.
    public var testCount: Int { testLabels.count }

    /// Where Fashion-MNIST is installed on the project's machines.
    public static let defaultFolder = "/usr/share/datasets/fashion-mnist"

    /// Fashion-MNIST's classes, by label (Xiao, Rasul and Vollgraf 2017, table 1).
    public static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// MNIST's classes: the digits.
    public static let digitClassNames = (0...9).map(String.init)

    /// A data set from arrays already in memory (synthetic data in tests, a subset).
    ///
    /// Traps when the sizes disagree: that is a programming error, not bad input.
    public init(name: String, rows: Int, columns: Int, channels: Int = 1, classNames: [String],
                trainImages: [Float], trainLabels: [Float], testImages: [Float], testLabels: [Float]) {
        precondition(rows >= 1 && columns >= 1 && channels >= 1, "image size \(rows)x\(columns)x\(channels) must be at least 1x1x1")
        precondition(trainImages.count == trainLabels.count * rows * columns * channels,
                     "\(trainImages.count) train values for \(trainLabels.count) labels of \(rows)x\(columns)x\(channels)")
        precondition(testImages.count == testLabels.count * rows * columns * channels,
                     "\(testImages.count) test values for \(testLabels.count) labels of \(rows)x\(columns)x\(channels)")
        self.name = name
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.classNames = classNames
        self.trainImages = trainImages
        self.trainLabels = trainLabels
        self.testImages = testImages
        self.testLabels = testLabels
    }

    /// Loads the four IDX files of an MNIST-style folder.
    ///
    /// The folder must hold `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each optionally gzip-compressed with
    /// a `.gz` suffix, or named with a dot before `idx` (`train-images.idx3-ubyte`).
    ///
    /// Class names come from `classNamesFile` (one per line, blank lines ignored) when given;
    /// otherwise Fashion-MNIST's when the data set looks like Fashion-MNIST (the folder's path
    /// contains "fashion", or the first ten training labels are Fashion-MNIST's
    /// `9 0 0 3 0 2 7 2 5 5`), else the digits 0 to 9.
    /// - Parameters:
    ///   - folder: The folder holding the four files.
    ///   - classNamesFile: A text file of class names, one per line, or nil.
    ///   - channels: for an image folder, 1 (gray) or 3 (RGB), as the model takes them; nil reads
    ///     RGB when any image is a colour PNG, else gray. IDX files are gray: asking for 3 throws.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` for a missing folder or file (naming
    ///   the names looked for); ``GlassboxError/malformedFile(path:offset:reason:)`` for any
    ///   problem ``IDX`` reports, image and label counts that disagree, train and test images of
    ///   different sizes, a label with no class, or an empty classes file.
    /// - Complexity: O(n) in the total size of the files.
    public static func load(folder: URL, classNamesFile: URL? = nil, channels: Int? = nil) throws -> Dataset {
        guard let status = try FileStatus.of(folder.path) else {
            throw GlassboxError.fileAccess(path: folder.path, reason: "no such folder (expected a folder of MNIST-style IDX files)")
        }
        guard status.kind == .folder else {
            throw GlassboxError.fileAccess(path: folder.path, reason: "is \(status.kind.rawValue), expected a folder of MNIST-style IDX files or of class folders")
        }
        if idxFiles(in: folder).isEmpty && !classFolders(in: folder).isEmpty {
            guard classNamesFile == nil else {
                throw GlassboxError.invalidArgument(operation: "--classes", reason: "an image folder's class names are its folder names; drop --classes")
            }
            return try loadImageFolder(folder, channels: channels)
        }
        if let channels, channels != 1 {
            throw GlassboxError.invalidArgument(operation: "data",
                reason: "\(folder.path) holds IDX files, which are grayscale (1 channel), but the model takes \(channels) channels")
        }
        let trainImagesFile = try find("train-images", dimensions: 3, in: folder)
        let trainLabelsFile = try find("train-labels", dimensions: 1, in: folder)
        let testImagesFile = try find("t10k-images", dimensions: 3, in: folder)
        let testLabelsFile = try find("t10k-labels", dimensions: 1, in: folder)

        let train = try IDX.readImages(at: trainImagesFile)
        let trainLabels = try IDX.readLabels(at: trainLabelsFile)
        let test = try IDX.readImages(at: testImagesFile)
        let testLabels = try IDX.readLabels(at: testLabelsFile)

        try checkCounts(images: train, at: trainImagesFile, labels: trainLabels, at: trainLabelsFile)
        try checkCounts(images: test, at: testImagesFile, labels: testLabels, at: testLabelsFile)
        guard test.rows == train.rows, test.columns == train.columns else {
            throw GlassboxError.malformedFile(
                path: testImagesFile.path, offset: 8,
                reason: "test images are \(test.rows)x\(test.columns) but the train images of \(trainImagesFile.path) are \(train.rows)x\(train.columns)")
        }

        let looksLikeFashion = folder.path.lowercased().contains("fashion")
            || Array(trainLabels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
        let looksLikeMNIST = folder.lastPathComponent.lowercased() == "mnist"
            || Array(trainLabels.prefix(10)) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
        let classNames: [String]
        if let classNamesFile {
            classNames = try readClassNames(classNamesFile)
        } else {
            classNames = looksLikeFashion ? fashionClassNames : digitClassNames
        }
        for (labels, file) in [(trainLabels, trainLabelsFile), (testLabels, testLabelsFile)] {
            try checkRange(labels, at: file, classCount: classNames.count, classNamesFile: classNamesFile)
        }

        return Dataset(name: looksLikeFashion ? "fashion-mnist" : looksLikeMNIST ? "mnist" : folder.lastPathComponent,
                       rows: train.rows, columns: train.columns, classNames: classNames,
                       trainImages: unitFloats(train.pixels), trainLabels: trainLabels.map(Float.init),
                       testImages: unitFloats(test.pixels), testLabels: testLabels.map(Float.init))
    }

    /// `count` distinct training images (all of them when there are fewer), drawn without
    /// replacement by a partial Fisher-Yates shuffle from `SeededGenerator(seed:)`: the background
    /// sets of `deep` and `gradient-shap` (the same seed gives the same images), so a background
    /// never counts one image twice. None when there are no training images, which those methods
    /// then refuse with an error.
    public func trainingSample(count: Int, seed: UInt64) -> [[Float]] {
        let imageSize = self.imageSize
        return Self.sampleIndices(count: count, of: trainCount, seed: seed).map { Array(trainImages[($0 * imageSize)..<(($0 + 1) * imageSize)]) }
    }

    /// The same sample as ``trainingSample(count:seed:)`` of the data set in `folder`, reading
    /// only what it needs: for IDX files, the training images' file alone, with only the sampled
    /// images converted to floats (an explanation of one image file needs 100 background images,
    /// not 70,000); an image folder is loaded whole.
    /// - Parameters:
    ///   - folder: the data set's folder, as ``load(folder:classNamesFile:channels:)`` takes it.
    ///   - count: how many images.
    ///   - seed: the seed of the draw.
    ///   - channels: the channels the model takes (nil: as stored).
    /// - Throws: what ``load(folder:classNamesFile:channels:)`` throws for the files it reads.
    public static func trainingSample(folder: URL, count: Int, seed: UInt64, channels: Int? = nil) throws -> [[Float]] {
        guard try FileStatus.of(folder.path)?.kind == .folder, !idxFiles(in: folder).isEmpty || classFolders(in: folder).isEmpty else {
            return try load(folder: folder, channels: channels).trainingSample(count: count, seed: seed)
        }
        if let channels, channels != 1 {
            throw GlassboxError.invalidArgument(operation: "data",
                reason: "\(folder.path) holds IDX files, which are grayscale (1 channel), but the model takes \(channels) channels")
        }
        let train = try IDX.readImages(at: try find("train-images", dimensions: 3, in: folder))
        let size = train.rows * train.columns
        return sampleIndices(count: count, of: train.count, seed: seed).map { index in
            train.pixels[(index * size)..<((index + 1) * size)].map { Float($0) / 255 }
        }
    }

    /// The mean training image of the data set in `folder` (as ``Baseline/mean(of:count:)`` of its
    /// training images), reading only what it needs: for IDX files, the training images' file
    /// alone, summed from its bytes without converting 47 million pixels to floats; an image
    /// folder is loaded whole.
    /// - Throws: what ``load(folder:classNamesFile:channels:)`` throws for the files it reads.
    public static func trainingMean(folder: URL, channels: Int? = nil) throws -> [Float] {
        guard try FileStatus.of(folder.path)?.kind == .folder, !idxFiles(in: folder).isEmpty || classFolders(in: folder).isEmpty else {
            let dataset = try load(folder: folder, channels: channels)
            return Baseline.mean(of: dataset.trainImages, count: dataset.trainCount)
        }
        if let channels, channels != 1 {
            throw GlassboxError.invalidArgument(operation: "data",
                reason: "\(folder.path) holds IDX files, which are grayscale (1 channel), but the model takes \(channels) channels")
        }
        let train = try IDX.readImages(at: try find("train-images", dimensions: 3, in: folder))
        let size = train.rows * train.columns
        var sums = [Int](repeating: 0, count: size)
        train.pixels.withUnsafeBufferPointer { pixels in
            for image in 0..<train.count {
                let start = image * size
                for p in 0..<size { sums[p] += Int(pixels[start + p]) }
            }
        }
        return sums.map { Float(Double($0) / 255 / Double(max(train.count, 1))) }
    }

    /// `count` distinct indices of `0..<total` (all when fewer) by a partial Fisher-Yates shuffle.
    static func sampleIndices(count: Int, of total: Int, seed: UInt64) -> [Int] {
        let kept = min(max(count, 0), total)
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<total)
        for position in 0..<kept {
            order.swapAt(position, position + Int(generator.next() % UInt64(total - position)))
        }
        return Array(order.prefix(kept))
    }

    /// The first `train` training and first `test` test examples (all of them where there are
    /// fewer), for quick tests and smoke runs.
    public func subset(train: Int, test: Int) -> Dataset {
        precondition(train >= 0 && test >= 0, "subset sizes must not be negative (train \(train), test \(test))")
        let trainKept = min(train, trainCount)
        let testKept = min(test, testCount)
        let imageSize = self.imageSize
        return Dataset(name: name, rows: rows, columns: columns, channels: channels, classNames: classNames,
                       trainImages: Array(trainImages.prefix(trainKept * imageSize)),
                       trainLabels: Array(trainLabels.prefix(trainKept)),
                       testImages: Array(testImages.prefix(testKept * imageSize)),
                       testLabels: Array(testLabels.prefix(testKept)))
    }

    /// Every file of `folder` that ``load(folder:classNamesFile:channels:)`` could read, under any of the
    /// accepted names: what an output must never overwrite.
    public static func files(in folder: URL) -> [URL] {
        let idx = idxFiles(in: folder)
        return idx.isEmpty ? imageFolderFiles(in: folder) : idx
    }

    static func idxFiles(in folder: URL) -> [URL] {
        ["train-images": 3, "train-labels": 1, "t10k-images": 3, "t10k-labels": 1].flatMap { stem, dimensions in
            candidateNames(stem, dimensions: dimensions).map { folder.appendingPathComponent($0) }
        }.filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    private static func candidateNames(_ stem: String, dimensions: Int) -> [String] {
        ["-", "."].flatMap { separator in ["", ".gz"].map { suffix in "\(stem)\(separator)idx\(dimensions)-ubyte\(suffix)" } }
    }

    /// The first of the accepted names for `stem` (`train-images`) that exists in `folder`.
    private static func find(_ stem: String, dimensions: Int, in folder: URL) throws -> URL {
        let candidates = candidateNames(stem, dimensions: dimensions)
        let present = candidates.map { folder.appendingPathComponent($0) }.filter { FileManager.default.fileExists(atPath: $0.path) }
        if present.count > 1 {
            throw GlassboxError.fileAccess(path: folder.path,
                reason: "holds \(present.map(\.lastPathComponent).joined(separator: " and ")): one file per part, so remove all but one")
        }
        if let url = present.first { return url }
        throw GlassboxError.fileAccess(path: folder.path, reason: "missing file: looked for \(candidates.joined(separator: ", "))")
    }

    private static func checkCounts(images: IDXImages, at imagesFile: URL, labels: [UInt8], at labelsFile: URL) throws {
        guard images.count == labels.count else {
            throw GlassboxError.malformedFile(
                path: labelsFile.path, offset: 4,
                reason: "counts disagree: \(labels.count) labels here but \(images.count) images in \(imagesFile.path)")
        }
    }

    /// Every label must name a class; the first that does not is reported with its offset.
    private static func checkRange(_ labels: [UInt8], at file: URL, classCount: Int, classNamesFile: URL?) throws {
        guard let index = labels.firstIndex(where: { Int($0) >= classCount }) else { return }
        let source = classNamesFile.map { "the classes file \($0.path) names only \(classCount) classes" } ?? "there are \(classCount) classes"
        throw GlassboxError.malformedFile(
            path: file.path, offset: 8 + index,
            reason: "label \(labels[index]) of example \(index) is out of range: \(source) (labels 0...\(classCount - 1))")
    }

    /// Reads a classes file: one class name per line, in label order; blank lines are ignored
    /// and spaces around a name trimmed.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` when it is not UTF-8 or names no class.
    public static func readClassNames(_ url: URL) throws -> [String] {
        let data = try FileBytes.read(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw GlassboxError.malformedFile(path: url.path, offset: nil, reason: "the classes file is not UTF-8 text")
        }
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw GlassboxError.malformedFile(path: url.path, offset: nil, reason: "the classes file names no classes (expected one name per line)")
        }
        return names
    }

    /// Pixels scaled to 0...1 through a 256-entry table: exact p / 255, fast even unoptimized.
    private static func unitFloats(_ pixels: [UInt8]) -> [Float] {
        let table = (0...255).map { Float($0) / 255 }
        return [Float](unsafeUninitializedCapacity: pixels.count) { buffer, initialized in
            pixels.withUnsafeBufferPointer { source in
                for index in source.indices { buffer[index] = table[Int(source[index])] }
            }
            initialized = pixels.count
        }
    }
}
