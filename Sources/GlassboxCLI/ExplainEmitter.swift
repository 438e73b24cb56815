import Foundation
import Glassbox

/// Writes a run's images in order, as one process does: each image's files and printed output,
/// the `--global` aggregate (stopping early once `--tolerance` is met), then its report.
struct ExplainEmitter {
    let command: ExplainCommand
    let run: ExplainRun
    private var globals: [String: GlobalExplanation] = [:]
    private var emitted = 0

    init(command: ExplainCommand, run: ExplainRun) {
        self.command = command
        self.run = run
    }

    /// Writes one image's outputs.
    /// - Returns: whether the run stops here (`--global --tolerance` is met).
    mutating func emit(_ image: ExplainedImage) throws -> Bool {
        for file in image.files { try AtomicFile.write(file.data, to: URL(fileURLWithPath: file.path)) }
        if !image.output.isEmpty {
            print(image.output)
            fflush(stdout)
        }
        for record in image.records {
            if globals[record.method] == nil {
                globals[record.method] = GlobalExplanation(method: record.method, width: run.width, height: run.height,
                                                           segmentCount: record.values.count, classCount: run.classNames.count)
            }
            try globals[record.method]!.add(target: record.target, values: record.values, pixelMap: record.pixelMap, intensities: record.intensities)
        }
        emitted += 1
        // --tolerance over images: stop once every method's ranking is settled enough.
        if command.global, let tolerance = command.tolerance, emitted < run.images,
           globals.values.allSatisfy({ $0.rankingConvergenceRatio <= tolerance }) {
            FileHandle.standardError.write(Data("explain: --global converged after \(emitted) images (tolerance \(tolerance))\n".utf8))
            return true
        }
        return false
    }

    /// Writes the `--global` aggregate, after the last image.
    func finish() throws {
        if command.global { try command.report(globals: command.methodNames.compactMap { globals[$0] }, classNames: run.classNames) }
    }
}
