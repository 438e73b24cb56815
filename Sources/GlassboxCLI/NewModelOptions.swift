import ArgumentParser
import Foundation
import Glassbox

/// `--classes` and `--out` of the commands that write a new model file (`init`, `import`).
struct NewModelOptions: ParsableArguments {
    @Option(help: "A file of class names, one per line, saved in the model.")
    var classes: String?

    @Option(help: "Where the model goes.")
    var out = "model.safetensors"

    func validate() throws {
        try FlagRange.checkPath(out, flag: "--out")
        try FlagRange.checkPath(classes, flag: "--classes")
    }

    /// Checks `--out` against `input` (and `--classes`) before any work.
    func checkOutput(against input: OutputFiles.Entry) throws {
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)], inputs: [input] + InputFiles.entry(classes, flag: "--classes"))
    }

    /// Saves `model` with the class names of `--classes`, and prints its summary.
    func save(_ model: Sequential) throws {
        var model = model
        if let classes { model.classNames = try Dataset.readClassNames(URL(fileURLWithPath: classes)) }
        try model.save(to: URL(fileURLWithPath: out))
        print(model.summary())
        print("model: \(out)")
    }
}
