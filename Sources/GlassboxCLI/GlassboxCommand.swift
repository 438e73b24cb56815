import ArgumentParser
import Foundation
import Glassbox

@main
struct GlassboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glassbox",
        abstract: "Train and explain small convolutional networks on OpenCL devices or the CPU reference.",
        subcommands: [DevicesCommand.self, InitCommand.self, ImportCommand.self, ExportCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
                      SummaryCommand.self, PlotCommand.self, ExplainCommand.self, MergeCommand.self, CalibrateCommand.self, SurrogateCommand.self, BenchCommand.self, TuneCommand.self]
    )

    static func main() {
        // A write past the file-size limit then fails with EFBIG, like a full disk, and is reported
        // naming the file, instead of killing the process with SIGXFSZ mid-save.
        signal(SIGXFSZ, SIG_IGN)
        Cluster.start()
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard Cluster.isMPI else { main(arguments); return }
        // One rank of an MPI job: an error on any rank stops them all (Cluster.fail).
        do {
            var command = try parseAsRoot(arguments)
            let name = type(of: command).configuration.commandName ?? ""
            // Help prints once, from rank 0.
            if name == "help" && !Cluster.communicator.isRoot { quietStandardOutput() }
            if Cluster.communicator.size > 1, name != "help", !Cluster.parallelCommands.contains(name) {
                throw CommandFailure(message: "\(type(of: command).configuration.commandName ?? "this command") does not run under mpirun with several ranks; "
                    + "run it as one process (the commands that split their work over ranks: \(Cluster.parallelCommands.joined(separator: ", ")))")
            }
            try command.run()
            Cluster.finish()
            Foundation.exit(0)
        } catch {
            Cluster.fail(error, command: self)
        }
    }
}
