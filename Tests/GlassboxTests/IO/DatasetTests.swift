import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class DatasetTests: XCTestCase {
    private let trainLabels: [UInt8] = [1, 0, 4, 1, 9, 2]
    private let testLabels: [UInt8] = [7, 2, 1]

    func testLoadsGzippedFolder() throws {
        let folder = try IOFixtures.temporaryFolder(self, name: "digits")
        try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels, gzip: true)
        let dataset = try Dataset.load(folder: folder)
        XCTAssertEqual(dataset.trainCount, 6)
        XCTAssertEqual(dataset.testCount, 3)
        XCTAssertEqual(dataset.rows, 4)
        XCTAssertEqual(dataset.columns, 3)
        XCTAssertEqual(dataset.trainLabels, trainLabels.map(Float.init))
        XCTAssertEqual(dataset.testLabels, testLabels.map(Float.init))
        XCTAssertEqual(dataset.trainImages, IOFixtures.pixelPattern(count: 6, rows: 4, columns: 3).map { Float($0) / 255 })
        XCTAssertEqual(dataset.testImages, IOFixtures.pixelPattern(count: 3, rows: 4, columns: 3).map { Float($0) / 255 })
        XCTAssertEqual(dataset.classNames, (0...9).map(String.init))
        XCTAssertTrue(dataset.name.hasPrefix("digits-"), dataset.name)
    }

    /// The lazy background sample (only the training images' file read) is the very sample of
    /// the loaded data set, for every count, and still refuses RGB from IDX files.
    func testTrainingSampleFromTheFolderEqualsTheLoadedOne() throws {
        let folder = try IOFixtures.temporaryFolder(self, name: "digits")
        try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels, gzip: true)
        let dataset = try Dataset.load(folder: folder)
        for count in [0, 1, 4, 6, 100] {
            for seed: UInt64 in [0, 7] {
                let lazy = try Dataset.trainingSample(folder: folder, count: count, seed: seed)
                XCTAssertEqual(lazy, dataset.trainingSample(count: count, seed: seed), "count \(count) seed \(seed)")
                XCTAssertEqual(lazy.count, min(count, 6))
            }
        }
        XCTAssertNotEqual(try Dataset.trainingSample(folder: folder, count: 3, seed: 0), try Dataset.trainingSample(folder: folder, count: 3, seed: 1))
        XCTAssertThrowsError(try Dataset.trainingSample(folder: folder, count: 3, seed: 0, channels: 3)) {
            XCTAssertTrue("\($0)".contains("grayscale"), "\($0)")
        }
        XCTAssertThrowsError(try Dataset.trainingSample(folder: folder.appendingPathComponent("none"), count: 3, seed: 0)) {
            XCTAssertTrue("\($0)".contains("no such folder"), "\($0)")
        }
    }

    /// The lazy mean image (summed from the training file's bytes) is the loaded data set's mean.
    func testTrainingMeanFromTheFolderEqualsTheLoadedOne() throws {
        let folder = try IOFixtures.temporaryFolder(self, name: "digits")
        try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels, gzip: true)
        let dataset = try Dataset.load(folder: folder)
        let expected = Baseline.mean(of: dataset.trainImages, count: dataset.trainCount)
        let lazy = try Dataset.trainingMean(folder: folder)
        XCTAssertEqual(lazy.count, 12)
        XCTAssertLessThan(relativeError(lazy, expected), 1e-6)
        XCTAssertGreaterThan(expected.max() ?? 0, 0, "the fixture's mean must not be all zeros")
        XCTAssertThrowsError(try Dataset.trainingMean(folder: folder, channels: 3)) { XCTAssertTrue("\($0)".contains("grayscale"), "\($0)") }
        XCTAssertThrowsError(try Dataset.trainingMean(folder: folder.appendingPathComponent("none"))) {
            XCTAssertTrue("\($0)".contains("no such folder"), "\($0)")
        }
    }

    func testLoadsPlainFolderWithDottedNames() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels, separator: ".")
        let dataset = try Dataset.load(folder: folder)
        XCTAssertEqual(dataset.trainLabels, trainLabels.map(Float.init))
        XCTAssertEqual(dataset.testImages.count, 3 * 4 * 3)
    }

    func testDetectsFashionByLabels() throws {
        let folder = try IOFixtures.temporaryFolder(self, name: "clothes")
        try IOFixtures.writeDataset(in: folder, trainLabels: [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 1], testLabels: testLabels)
        let dataset = try Dataset.load(folder: folder)
        XCTAssertEqual(dataset.name, "fashion-mnist")
        XCTAssertEqual(dataset.classNames, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
    }

    func testDetectsFashionByFolderName() throws {
        let folder = try IOFixtures.temporaryFolder(self, name: "My-Fashion-Set")
        try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels)
        let dataset = try Dataset.load(folder: folder)
        XCTAssertEqual(dataset.name, "fashion-mnist")
        XCTAssertEqual(dataset.classNames.last, "Ankle boot")
    }

    func testClassNamesFile() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        try IOFixtures.writeDataset(in: folder, trainLabels: [0, 1, 2, 1], testLabels: [2, 0])
        let classes = folder.appendingPathComponent("classes.txt")
        try Data("cat\n\n  dog \r\nbird\n".utf8).write(to: classes)
        let dataset = try Dataset.load(folder: folder, classNamesFile: classes)
        XCTAssertEqual(dataset.classNames, ["cat", "dog", "bird"])
    }

    func testClassNamesFileWithTooFewNames() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let files = try IOFixtures.writeDataset(in: folder, trainLabels: [0, 1, 2, 1], testLabels: [2, 0])
        let classes = folder.appendingPathComponent("classes.txt")
        try Data("cat\ndog\n".utf8).write(to: classes)
        assertThrowsGlassboxError(try Dataset.load(folder: folder, classNamesFile: classes),
                                  containing: [files["train-labels"]!.path, "(at byte 10)", "label 2", "out of range",
                                               classes.path, "names only 2 classes"])
        try Data("\n\n".utf8).write(to: classes)
        assertThrowsGlassboxError(try Dataset.load(folder: folder, classNamesFile: classes),
                                  containing: [classes.path, "no classes"])
    }

    func testSubset() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels)
        let dataset = try Dataset.load(folder: folder)
        let subset = dataset.subset(train: 2, test: 10)
        XCTAssertEqual(subset.trainCount, 2)
        XCTAssertEqual(subset.testCount, 3)
        XCTAssertEqual(subset.trainLabels, [1, 0])
        XCTAssertEqual(subset.trainImages, Array(dataset.trainImages.prefix(2 * 12)))
        XCTAssertEqual(subset.testImages, dataset.testImages)
        XCTAssertEqual(subset.classNames, dataset.classNames)
    }

    func testMissingFileNamesFolderAndCandidates() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let files = try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels)
        try FileManager.default.removeItem(at: files["t10k-labels"]!)
        assertThrowsGlassboxError(try Dataset.load(folder: folder),
                                  containing: [folder.path, "missing file", "t10k-labels-idx1-ubyte",
                                               "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte"])
        assertThrowsGlassboxError(try Dataset.load(folder: folder.appendingPathComponent("absent")),
                                  containing: ["absent", "no such folder"])
    }

    func testCountsThatDisagree() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let files = try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels)
        try IOFixtures.idxLabels([1, 2, 3, 4, 5]).write(to: files["train-labels"]!)
        assertThrowsGlassboxError(try Dataset.load(folder: folder),
                                  containing: [files["train-labels"]!.path, files["train-images"]!.path,
                                               "counts disagree", "5 labels", "6 images"])
    }

    func testTrainAndTestImageSizesThatDisagree() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let files = try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels, testRows: 5)
        assertThrowsGlassboxError(try Dataset.load(folder: folder),
                                  containing: [files["t10k-images"]!.path, files["train-images"]!.path, "5x3", "4x3"])
    }

    func testLabelOutOfRange() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let files = try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: [7, 12, 1])
        assertThrowsGlassboxError(try Dataset.load(folder: folder),
                                  containing: [files["t10k-labels"]!.path, "(at byte 9)", "label 12", "out of range", "10 classes"])
    }

    func testMalformedFileInFolderIsNamed() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let files = try IOFixtures.writeDataset(in: folder, trainLabels: trainLabels, testLabels: testLabels, gzip: true)
        var compressed = try Data(contentsOf: files["t10k-images"]!)
        compressed[compressed.count - 6] ^= 0xFF  // inside the CRC-32 trailer
        try compressed.write(to: files["t10k-images"]!)
        assertThrowsGlassboxError(try Dataset.load(folder: folder),
                                  containing: ["t10k-images-idx3-ubyte.gz", "corrupt gzip data"])
    }

    /// The real data set, where it is installed (the project's machines have it).
    func testLoadsInstalledFashionMNIST() throws {
        let folder = URL(fileURLWithPath: Dataset.defaultFolder, isDirectory: true)
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw XCTSkip("Fashion-MNIST is not installed at \(folder.path)")
        }
        let dataset = try Dataset.load(folder: folder)
        XCTAssertEqual(dataset.name, "fashion-mnist")
        XCTAssertEqual(dataset.trainCount, 60_000)
        XCTAssertEqual(dataset.testCount, 10_000)
        XCTAssertEqual(dataset.rows, 28)
        XCTAssertEqual(dataset.columns, 28)
        XCTAssertEqual(dataset.trainImages.count, 60_000 * 28 * 28)
        XCTAssertEqual(dataset.testImages.count, 10_000 * 28 * 28)
        XCTAssertEqual(dataset.classNames, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        XCTAssertEqual(Array(dataset.trainLabels.prefix(10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        let train = range(dataset.trainImages), test = range(dataset.testImages)
        XCTAssertEqual(train.min, 0)
        XCTAssertEqual(train.max, 1)
        XCTAssertGreaterThanOrEqual(test.min, 0)
        XCTAssertLessThanOrEqual(test.max, 1)
        XCTAssertTrue(dataset.testLabels.allSatisfy { (0...9).contains($0) })
    }

    /// The smallest and largest value (NaN counts as out of range), in one pass: 55 million values
    /// through `allSatisfy` closures take seconds in a debug build.
    private func range(_ values: [Float]) -> (min: Float, max: Float) {
        values.withUnsafeBufferPointer { buffer in
            var low = Float.infinity, high = -Float.infinity
            for value in buffer {
                if !(value >= low) { low = value.isNaN ? -.infinity : value }
                if !(value <= high) { high = value.isNaN ? .infinity : value }
            }
            return (low, high)
        }
    }

    // MARK: Image folders

    func pgm(_ width: Int, _ height: Int, _ pixels: [UInt8]) -> Data { Data(Array("P5\n\(width) \(height)\n255\n".utf8) + pixels) }

    /// Class folders "b" (3 images) and "a" (7): classes sorted by name, labels by folder, every
    /// sixth image of a class held out when there is no test/ folder.
    func testImageFolderWithoutATestSplit() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        for (name, count) in [("b", 3), ("a", 7)] {
            let classFolder = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for i in 0..<count { try pgm(3, 2, [UInt8](repeating: UInt8(10 * i + (name == "a" ? 1 : 2)), count: 6)).write(to: classFolder.appendingPathComponent("\(i).pgm")) }
            try Data("notes".utf8).write(to: classFolder.appendingPathComponent("README.txt"))   // skipped, as Keras skips it
        }
        let data = try Dataset.load(folder: folder)
        XCTAssertEqual(data.classNames, ["a", "b"])
        XCTAssertEqual([data.rows, data.columns], [2, 3])
        XCTAssertEqual(data.trainLabels, [0, 0, 0, 0, 0, 0, 1, 1, 1])
        XCTAssertEqual(data.testLabels, [0], "a's sixth image (5.pgm) is held out")
        XCTAssertEqual(data.testImages, [Float](repeating: Float(51) / 255, count: 6))
        XCTAssertEqual(data.trainImages[6 * 6], Float(2) / 255, "b's first image follows a's training images")
        XCTAssertEqual(Dataset.files(in: folder).count, 10, "every image is an input an output may not overwrite")
        XCTAssertThrowsError(try Dataset.load(folder: folder, classNamesFile: folder.appendingPathComponent("a/README.txt"))) { error in
            XCTAssertTrue("\(error)".contains("folder names"), "\(error)")
        }
    }

    /// Colour PNGs make an RGB data set (NHWC values / 255); a gray image beside them repeats its
    /// value in the three channels; asking for one channel gives the luminance; IDX data cannot
    /// be read as RGB.
    func testRGBImageFolder() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        for name in ["red", "blue"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        let red: [UInt8] = [200, 10, 20, 210, 0, 0], blue: [UInt8] = [0, 30, 250, 5, 5, 240]
        try PNG.encodeRGB(width: 2, height: 1, rgb: red).write(to: folder.appendingPathComponent("red/0.png"))
        try PNG.encodeRGB(width: 2, height: 1, rgb: blue).write(to: folder.appendingPathComponent("blue/0.png"))
        try pgm(2, 1, [100, 50]).write(to: folder.appendingPathComponent("blue/1.pgm"))
        let data = try Dataset.load(folder: folder)
        XCTAssertEqual(data.channels, 3)
        XCTAssertEqual(data.imageShape, [1, 2, 3])
        XCTAssertEqual(data.classNames, ["blue", "red"])
        XCTAssertEqual(data.trainImages, (blue + [100, 100, 100, 50, 50, 50] + red).map { Float($0) / 255 })
        let gray = try Dataset.load(folder: folder, channels: 1)
        XCTAssertEqual(gray.channels, 1)
        XCTAssertEqual(gray.trainImages.suffix(2).map { ($0 * 255).rounded() }, [68, 63], "Rec. 601 luma of the red image")
        XCTAssertThrowsError(try Dataset.load(folder: folder, channels: 4)) { XCTAssertTrue("\($0)".contains("not 4"), "\($0)") }
        let idx = try IOFixtures.temporaryFolder(self)
        try IOFixtures.writeDataset(in: idx, trainLabels: [0, 1], testLabels: [1, 0])
        XCTAssertThrowsError(try Dataset.load(folder: idx, channels: 3)) { XCTAssertTrue("\($0)".contains("grayscale"), "\($0)") }
    }

    func testImageFolderWithATestSplitAndItsErrors() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        for path in ["x", "y", "test/y"] {
            let classFolder = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for i in 0..<2 { try pgm(2, 2, [UInt8(i), 0, 0, 255]).write(to: classFolder.appendingPathComponent("\(i).PGM")) }
        }
        let data = try Dataset.load(folder: folder)
        XCTAssertEqual(data.classNames, ["x", "y"])
        XCTAssertEqual(data.trainLabels, [0, 0, 1, 1])
        XCTAssertEqual(data.testLabels, [1, 1])

        try pgm(3, 2, [UInt8](repeating: 0, count: 6)).write(to: folder.appendingPathComponent("y/odd.pgm"))
        XCTAssertThrowsError(try Dataset.load(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("odd.pgm") && "\(error)".contains("is 3x2") && "\(error)".contains("2x2"), "\(error)")
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("y/odd.pgm"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("test/z"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try Dataset.load(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("test class 'z' has no training folder"), "\(error)")
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("test/z"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("empty"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try Dataset.load(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("empty") && "\(error)".contains("no .png or .pgm images"), "\(error)")
        }
    }
}
