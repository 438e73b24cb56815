import Foundation
import Glassbox
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
}
