import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// Glassbox's HDF5 reader against the HDF5 C library: the same shapes, values and name
/// attributes from every Keras fixture's weights and from a file of h5py's other forms; damaged
/// files get errors that name the file and the offset.
final class HDF5FileTests: XCTestCase {
    func weights(_ name: String) throws -> Data { try entry("model.weights.h5", of: name) }

    func entry(_ entry: String, of name: String) throws -> Data {
        let archive = try ZipArchive(try Data(contentsOf: ImportFixtures.url("\(name).keras")), path: name)
        return try XCTUnwrap(try archive.contents(of: entry))
    }

    /// Every weight tensor of the Keras fixtures reads as the HDF5 library reads it.
    func testKerasWeightsReadAsTheHDF5LibraryReadsThem() throws {
        var compared = 0
        for name in ["keras-cnn", "keras-residual", "keras-seed"] {
            let data = try weights(name)
            let ours = try HDF5File(data, path: name), library = try XCTUnwrap(LibHDF5(data))
            let archive = try ZipArchive(try Data(contentsOf: ImportFixtures.url("\(name).keras")), path: name)
            let groups = try KerasFile.weightGroups(try XCTUnwrap(try archive.contents(of: "config.json")), path: name)
            XCTAssertFalse(groups.isEmpty)
            for (layer, group) in groups {
                let vars = "layers/\(group)/vars"
                XCTAssertEqual(try ours.contains(vars), library.contains(vars), vars)
                XCTAssertEqual(ours.stringAttribute("name", of: vars), library.stringAttribute("name", of: vars), vars)
                if library.contains(vars) { XCTAssertEqual(ours.stringAttribute("name", of: vars), layer) }
                for index in 0..<5 {
                    let path = "\(vars)/\(index)"
                    XCTAssertEqual(try ours.contains(path), library.contains(path), path)
                    guard let expected = library.floats(path) else { continue }
                    XCTAssertEqual(try ours.shape(of: path), expected.shape, path)
                    XCTAssertEqual(try ours.floats(path, expected: expected.shape), expected.values, path)
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared, 12 + 2 * 4 + 4 + 2 + 4, "every kernel, bias and batch-normalisation tensor of the three models")
    }

    /// h5py's other forms: float64 and big-endian data, a compact dataset, string attributes of
    /// fixed and variable length, a group of 40 members; a chunked dataset is refused by name.
    func testOtherFormsReadAsTheHDF5LibraryReadsThem() throws {
        let data = try Data(contentsOf: ImportFixtures.url("hdf5-variants.h5"))
        let ours = try HDF5File(data, path: "variants.h5"), library = try XCTUnwrap(LibHDF5(data))
        for path in ["double", "big", "compact"] + (0..<40).map({ String(format: "many/d%02d", $0) }) {
            let expected = try XCTUnwrap(library.floats(path), path)
            XCTAssertEqual(try ours.floats(path, expected: expected.shape), expected.values, path)
        }
        XCTAssertEqual(ours.stringAttribute("name", of: "many"), "a variable-length string")
        XCTAssertEqual(ours.stringAttribute("fixed", of: "many"), library.stringAttribute("fixed", of: "many"))
        XCTAssertEqual(ours.stringAttribute("fixed", of: "many"), "fixed-length")
        XCTAssertNil(ours.stringAttribute("absent", of: "many"))
        XCTAssertFalse(try ours.contains("many/d40"))
        XCTAssertThrowsError(try ours.floats("chunked", expected: [6, 6])) {
            XCTAssertTrue("\($0)".contains("variants.h5") && "\($0)".contains("'chunked' is chunked"), "\($0)")
        }
        XCTAssertThrowsError(try ours.floats("double", expected: [5, 3])) {
            XCTAssertTrue("\($0)".contains("has shape [3, 5], the layer needs [5, 3]"), "\($0)")
        }
    }

    /// The inputs on which the HDF5 C library allocated 256 GiB and 4 GiB (ROBUSTNESS.md,
    /// findings 8 and 9), prefixes of a weights file, and every third byte of its first kilobyte
    /// changed: each is read or refused with a GlassboxError, never trapping or over-allocating.
    func testDamagedFilesAreRefusedByName() throws {
        let crashes = ImportFixtures.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/crashes/hdf5")
        for name in ["huge-heap-claim.h5", "malloc-4gb-claim.h5"] {
            let data = try Data(contentsOf: crashes.appendingPathComponent(name))
            XCTAssertThrowsError(try KerasFile.model(config: try entry("config.json", of: "keras-cnn"), weights: data, path: name)) {
                XCTAssertTrue("\($0)".contains(name), "\($0)")
            }
        }
        let data = try weights("keras-cnn"), config = try entry("config.json", of: "keras-cnn")
        XCTAssertThrowsError(try HDF5File(data.prefix(7), path: "tiny.h5"), "seven bytes") {
            XCTAssertTrue("\($0)".contains("not an HDF5 file"), "\($0)")
        }
        for cut in stride(from: 0, to: data.count, by: 401) {
            _ = try? KerasFile.model(config: config, weights: data.prefix(cut), path: "cut.h5")
        }
        for offset in stride(from: 0, to: 1024, by: 3) {
            var changed = data
            changed[offset] ^= 0xa5
            do {
                _ = try KerasFile.model(config: config, weights: changed, path: "changed.h5")
            } catch let error as GlassboxError {
                XCTAssertTrue("\(error)".contains("changed.h5"), "\(error)")
            }
        }
        let model = try KerasFile.model(config: config, weights: data, path: "whole.h5")
        XCTAssertEqual(model.parameterCount, 3414)
    }
}
