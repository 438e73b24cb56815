import ArgumentParser
import Foundation
import Glassbox

/// The `--device` flag shared by every subcommand that runs ops.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: "auto, cpu, opencl, opencl:N or a device-name substring (default: $GLASSBOX_DEVICE, else auto).")
    var device: String?

    func choice() throws -> DeviceChoice {
        do {
            if let device { return try DeviceChoice(parsing: device) }
            return try DeviceChoice.fromEnvironment()
        } catch {
            throw ValidationError("\(error) (from \(device == nil ? "GLASSBOX_DEVICE" : "--device"))")
        }
    }
}

/// Errors reach the user as one line naming the problem, and a non-zero exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) { description = "\(error)" }
    init(message: String) { description = message }
}

/// `--data` and `--classes`: where the IDX files are.
struct DataOptions: ParsableArguments {
    @Option(help: "Folder with the four IDX files (optionally .gz) of MNIST or Fashion-MNIST.")
    var data: String = Dataset.defaultFolder

    @Option(help: "A file of class names, one per line (default: detected from the data set).")
    var classes: String?

    /// The data, its images read with the channels `model` takes (gray or RGB), or as stored.
    func load(for model: Sequential? = nil) throws -> Dataset {
        try Self.load(folder: data, classes: classes, channels: model?.imageChannels)
    }

    /// The data set in `folder` (`--data`), class names from `classes` (`--classes`, else
    /// detected), images read with `channels` (nil: as stored); the one way every command loads
    /// data, failures reported as a ``CommandFailure``.
    static func load(folder: String, classes: String?, channels: Int?) throws -> Dataset {
        try FlagRange.checkPath(folder, flag: "--data")
        try FlagRange.checkPath(classes, flag: "--classes")
        do {
            return try Dataset.load(folder: URL(fileURLWithPath: folder), classNamesFile: classes.map { URL(fileURLWithPath: $0) },
                                    channels: channels)
        } catch {
            throw CommandFailure(error)
        }
    }
}

/// `--model`: a model file to read.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model file written by `glassbox train` (safetensors), or an ONNX or .keras file (imported on the fly).")
    var model: String

    func load() throws -> Sequential {
        guard !model.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--model: the path is empty") }
        do {
            // An ONNX or .keras file is imported on the fly (`glassbox import` keeps the result).
            return try ForeignModel.load(from: URL(fileURLWithPath: model))
        } catch { throw CommandFailure(error) }
    }
}

extension DeviceOptions {
    /// The most samples a command predicts on the CPU reference under `auto`: starting an OpenCL
    /// device (PoCL's platform, context and cached kernel builds: 0.2-0.3 s here) costs more than
    /// the reference spends on a few forward passes of the reference CNN (about 1 ms each).
    static let smallWorkSamples = 16

    /// The backend the flag or `GLASSBOX_DEVICE` names; under `auto`, the CPU reference for work
    /// of at most ``smallWorkSamples`` forward passes (`samples`), where no device pays off.
    func backend(samples: Int? = nil) throws -> any Backend {
        do {
            let choice = try choice()
            if choice == .auto, let samples, samples <= Self.smallWorkSamples {
                _ = try OpenCLBackend.memoryLimitFromEnvironment()   // a typo there is still an error
                return CPUBackend()
            }
            let cluster = Cluster.communicator
            let backend = try choice.makeBackend(rankOnNode: cluster.localRank)
            if cluster.size > 1 {
                // Which process is which rank, for logs and for a `kill` of one rank.
                DeviceChoice.printToStandardError("glassbox: rank \(cluster.rank) of \(cluster.size) (rank \(cluster.localRank) of \(cluster.localSize) on this machine): "
                    + "pid \(getpid()), backend \(backend.name)"
                    + ((backend as? OpenCLBackend).map { ", \($0.device.computeUnits) compute units" } ?? ""))
            }
            return backend
        } catch let error as ValidationError { throw error } catch { throw CommandFailure(error) }
    }
}

/// With `GLASSBOX_PROFILE=1`, prints the per-kernel time table of an OpenCL backend to stderr.
func printProfile(_ backend: any Backend) {
    if let report = (backend as? OpenCLBackend)?.profileReport() { FileHandle.standardError.write(Data((report + "\n").utf8)) }
}

/// Runs `body`, turning any error into a ``CommandFailure`` so the user sees one clear line.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ValidationError { throw error } catch let error as CommandFailure { throw error } catch {
        throw CommandFailure(error)
    }
}

extension Sequential {
    /// The channels of the model's images, when it takes `[height, width, 1 or 3]` samples.
    var imageChannels: Int? {
        inputShape.count == 3 && [1, 3].contains(inputShape[2]) ? inputShape[2] : nil
    }
}
