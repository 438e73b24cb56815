import ArgumentParser
import Glassbox

@main
struct GlassboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glassbox",
        abstract: "Train and explain small convolutional networks on OpenCL devices or the CPU reference.",
        subcommands: [DevicesCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
                      SummaryCommand.self, PlotCommand.self, ExplainCommand.self, SurrogateCommand.self, BenchCommand.self]
    )
}
