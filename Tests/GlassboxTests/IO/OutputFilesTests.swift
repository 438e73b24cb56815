import Foundation
@testable import Glassbox
import XCTest

/// Outputs are checked before work: special files refused, symlinks followed, inputs and other
/// outputs never overwritten, one writer per file. Every special file here is one the test makes
/// (a FIFO, a symlink, a folder) in its own temporary folder, never a real device node.
final class OutputFilesTests: XCTestCase {
    func entry(_ path: String, _ flag: String = "--out") -> OutputFiles.Entry { OutputFiles.Entry(flag: flag, path: path) }

    func assertRefused(_ outputs: [OutputFiles.Entry], inputs: [OutputFiles.Entry] = [], naming fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try OutputFiles.check(outputs: outputs, inputs: inputs), file: file, line: line) { error in
            for fragment in fragments where !"\(error)".contains(fragment) {
                XCTFail("'\(error)' lacks '\(fragment)'", file: file, line: line)
            }
        }
    }

    func testSpecialFilesAndMissingFoldersAreRefusedAndNothingIsCreated() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let fifo = folder.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertRefused([entry(fifo)], naming: ["--out", "pipe", "FIFO"])
        assertRefused([entry(folder.path)], naming: ["is a folder"])
        assertRefused([entry("")], naming: ["the path is empty"])
        assertRefused([entry(folder.appendingPathComponent("no/such/m.st").path)], naming: ["does not exist"])
        let loop = folder.appendingPathComponent("loop").path
        XCTAssertEqual(symlink(loop, loop), 0)
        assertRefused([entry(loop)], naming: ["symlink loop"])
        // A symlink to a FIFO counts as the FIFO.
        let toFifo = folder.appendingPathComponent("to-pipe").path
        XCTAssertEqual(symlink(fifo, toFifo), 0)
        assertRefused([entry(toFifo)], naming: ["FIFO"])
        // The writers refuse them too, whatever the caller checked, and leave them as they were.
        XCTAssertThrowsError(try AtomicFile.write(Data([1, 2, 3]), to: URL(fileURLWithPath: toFifo)))
        XCTAssertEqual(try FileStatus.of(fifo)?.kind, .fifo)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(left, ["loop", "pipe", "to-pipe"], "no probe or temporary file is left behind")
    }

    func testAFolderThatCannotTakeAFileIsRefusedBeforeWork() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self") else { throw XCTSkip("no /proc") }
        // /proc passes access(W_OK) for root but takes no new file: only a real create tells.
        assertRefused([entry("/proc/m.safetensors")], naming: ["cannot create a file in the folder /proc"])
    }

    func testOutputsMayNotBeInputsOrEachOtherUnderAnyName() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let data = folder.appendingPathComponent("labels.gz")
        try Data([7, 7]).write(to: data)
        let hardLink = folder.appendingPathComponent("hard").path
        XCTAssertEqual(link(data.path, hardLink), 0)
        let softLink = folder.appendingPathComponent("soft").path
        XCTAssertEqual(symlink("labels.gz", softLink), 0)
        let inputs = [entry(data.path, "--data")]
        assertRefused([entry(data.path)], inputs: inputs, naming: ["same file as the input --data"])
        assertRefused([entry(hardLink)], inputs: inputs, naming: ["same file as the input --data"])
        assertRefused([entry(softLink)], inputs: inputs, naming: ["same file as the input --data"])
        assertRefused([entry(folder.path + "/./labels.gz")], inputs: inputs, naming: ["same file as the input"])
        let png = folder.appendingPathComponent("x.png").path
        assertRefused([entry(png, "--png"), entry(png, "--report")], naming: ["--report", "same file as the output --png"])
        XCTAssertEqual(try Data(contentsOf: data), Data([7, 7]))
        XCTAssertNoThrow(try OutputFiles.check(outputs: [entry(png, "--png"), entry(folder.appendingPathComponent("r.html").path, "--report")],
                                               inputs: inputs))
    }

    func testASymlinkIsFollowedAndItsTargetReplaced() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let target = folder.appendingPathComponent("real.bin")
        try Data([1]).write(to: target)
        let link = folder.appendingPathComponent("link.bin")
        XCTAssertEqual(symlink("real.bin", link.path), 0)
        try OutputFiles.check(outputs: [entry(link.path)])
        try AtomicFile.write(Data([9, 9]), to: link)
        XCTAssertEqual(try Data(contentsOf: target), Data([9, 9]), "the target holds the new data")
        var info = stat()
        XCTAssertEqual(lstat(link.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK, "the link is still a link")
        // A dangling link is written through too: its target is created.
        let dangling = folder.appendingPathComponent("dangling.bin")
        XCTAssertEqual(symlink("new.bin", dangling.path), 0)
        try AtomicFile.write(Data([4]), to: dangling)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("new.bin")), Data([4]))
    }

    func testOneWriterAtATime() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let out = folder.appendingPathComponent("model.safetensors").path
        let first = try WriterLock(for: out)
        XCTAssertThrowsError(try WriterLock(for: out)) { error in
            XCTAssertTrue("\(error)".contains("another glassbox process is writing this file"), "\(error)")
        }
        first.release()
        XCTAssertFalse(FileManager.default.fileExists(atPath: first.path), "the lock file is removed on release")
        let second = try WriterLock(for: out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: second.path))
        second.release()
        // Whatever the user keeps under the lock's name is refused and left alone.
        let userFile = folder.appendingPathComponent(".model.safetensors.lock")
        try Data("notes".utf8).write(to: userFile)
        XCTAssertThrowsError(try WriterLock(for: out)) { XCTAssertTrue("\($0)".contains("in the way of the lock file"), "\($0)") }
        XCTAssertEqual(try Data(contentsOf: userFile), Data("notes".utf8))
        try FileManager.default.removeItem(at: userFile)
        XCTAssertEqual(mkfifo(userFile.path, 0o600), 0)
        XCTAssertThrowsError(try WriterLock(for: out))
        XCTAssertEqual(try FileStatus.of(userFile.path)?.kind, .fifo)
    }

    func testReadersRefuseSpecialFilesByName() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let fifo = folder.appendingPathComponent("pipe.png").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let loop = folder.appendingPathComponent("loop.png").path
        XCTAssertEqual(symlink(loop, loop), 0)
        for (path, fragment) in [(fifo, "FIFO"), (loop, "symlink loop"), (folder.path, "is a folder"),
                                 (folder.appendingPathComponent("none.png").path, "no such file")] {
            XCTAssertThrowsError(try GrayImage.load(from: URL(fileURLWithPath: path))) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(path): \(error)")
            }
        }
    }
}
