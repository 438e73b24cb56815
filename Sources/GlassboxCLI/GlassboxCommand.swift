import ArgumentParser
import Foundation
import Glassbox

@main
struct GlassboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glassbox",
        abstract: "Train and explain small convolutional networks on OpenCL devices or the CPU reference.",
        subcommands: [DevicesCommand.self, InitCommand.self, ImportCommand.self, ExportCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
                      SummaryCommand.self, PlotCommand.self, ExplainCommand.self, CalibrateCommand.self, SurrogateCommand.self, BenchCommand.self, TuneCommand.self]
    )

    static func main() {
        // A write past the file-size limit then fails with EFBIG, like a full disk, and is reported
        // naming the file, instead of killing the process with SIGXFSZ mid-save.
        signal(SIGXFSZ, SIG_IGN)
        main(Array(CommandLine.arguments.dropFirst()))
    }
}
