import Foundation

/// Image-folder data sets, the convention of Keras's `image_dataset_from_directory` and
/// torchvision's `ImageFolder`: one subfolder per class holding its images, class names from the
/// folder names in sorted order.
///
///     data/
///       cat/ 001.png 002.png ...      training images of class 0 ("cat")
///       dog/ ...                      class 1 ("dog")
///       test/cat/ ... test/dog/ ...   optional: the test split, the same class folders
///
/// Images are PNG or PGM files (by extension, case-insensitive; other files are skipped, as Keras
/// skips them), all of one size, read as grayscale or RGB (``ImageFile/load(from:channels:)``):
/// as the model takes them, or RGB when any image is a colour PNG. Without a `test/` folder,
/// every sixth image of each class (in file-name order) is held out as the test split.
extension Dataset {
    static let imageExtensions: Set<String> = ["png", "pgm"]

    /// The class folders of `folder` (every subfolder but `test`), sorted; empty when it has none.
    static func classFolders(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            !name.hasPrefix(".") && name != "test" && (try? FileStatus.of(folder.appendingPathComponent(name).path))??.kind == .folder
        }.sorted()
    }

    /// The image files of one class folder, sorted by name.
    static func imageFiles(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { name in !name.hasPrefix(".") && name.contains(".") && imageExtensions.contains(name.split(separator: ".").last.map { $0.lowercased() } ?? "") }
            .sorted()
            .map { folder.appendingPathComponent($0) }
    }

    /// Every image an image-folder data set at `folder` would read.
    static func imageFolderFiles(in folder: URL) -> [URL] {
        let test = folder.appendingPathComponent("test")
        return classFolders(in: folder).flatMap { imageFiles(in: folder.appendingPathComponent($0)) }
            + classFolders(in: test).flatMap { imageFiles(in: test.appendingPathComponent($0)) }
    }

    /// Loads an image-folder data set.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` for a folder without class folders or
    ///   a class folder without images; ``GlassboxError/malformedFile(path:offset:reason:)`` for
    ///   an image that does not decode or has another size than the first, and a `test/` class
    ///   that the training split does not have.
    public static func loadImageFolder(_ folder: URL, channels: Int? = nil) throws -> Dataset {
        let classes = classFolders(in: folder)
        guard !classes.isEmpty else {
            throw GlassboxError.fileAccess(path: folder.path,
                reason: "no MNIST-style IDX files and no class folders: expected IDX files, or one subfolder of PNG/PGM images per class")
        }
        let channels = try channels ?? (imageFolderFiles(in: folder).contains { try ImageFile.isColor($0) } ? 3 : 1)
        var size: (width: Int, height: Int, path: String)?
        func read(_ url: URL) throws -> [Float] {
            let image = try ImageFile.load(from: url, channels: channels)
            if let size, size.width != image.width || size.height != image.height {
                throw GlassboxError.malformedFile(path: url.path, offset: nil,
                    reason: "is \(image.width)x\(image.height) but \(size.path) is \(size.width)x\(size.height): every image must have one size")
            }
            if size == nil { size = (image.width, image.height, url.path) }
            return image.values
        }
        var train: (pixels: [Float], labels: [Float]) = ([], []), test: (pixels: [Float], labels: [Float]) = ([], [])
        let testFolder = folder.appendingPathComponent("test")
        let testClasses = classFolders(in: testFolder)
        if let stranger = testClasses.first(where: { !classes.contains($0) }) {
            throw GlassboxError.malformedFile(path: testFolder.appendingPathComponent(stranger).path, offset: nil,
                reason: "test class '\(stranger)' has no training folder (classes: \(classes.joined(separator: ", ")))")
        }
        for (label, name) in classes.enumerated() {
            let files = imageFiles(in: folder.appendingPathComponent(name))
            guard !files.isEmpty else {
                throw GlassboxError.fileAccess(path: folder.appendingPathComponent(name).path, reason: "class folder holds no .png or .pgm images")
            }
            for (position, file) in files.enumerated() {
                let heldOut = testClasses.isEmpty && position % 6 == 5
                let pixels = try read(file)
                if heldOut { test.pixels += pixels; test.labels.append(Float(label)) } else { train.pixels += pixels; train.labels.append(Float(label)) }
            }
            if testClasses.contains(name) {
                for file in imageFiles(in: testFolder.appendingPathComponent(name)) {
                    test.pixels += try read(file)
                    test.labels.append(Float(label))
                }
            }
        }
        let (width, height) = (size!.width, size!.height)
        return Dataset(name: folder.lastPathComponent, rows: height, columns: width, channels: channels, classNames: classes,
                       trainImages: train.pixels, trainLabels: train.labels, testImages: test.pixels, testLabels: test.labels)
    }
}
