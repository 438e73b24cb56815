import ArgumentParser
import Foundation
import Glassbox

/// `glassbox tune`: searches the kernel parameters of an OpenCL device at a model's shapes and
/// keeps the winners in the tuning cache, which every later command on that device uses.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search kernel tile sizes and work-group shapes for an OpenCL device and cache the fastest.",
        discussion: """
            Times the kernels (GEMM and its transposed forms, convolution forward and backward, pooling, \
            the perturbation and segment-table sweeps, element-wise kernels) at the shapes of --model \
            (default: the reference CNN) with each candidate parameter, checks each against the \
            defaults' results, and stores the winners for this device, driver and Glassbox version in \
            $GLASSBOX_TUNING_CACHE (default ~/.cache/glassbox/tuning.json). `glassbox devices` says \
            whether a device runs tuned or default parameters.
            """
    )

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "A model file (or ONNX / .keras file) whose shapes to tune for (default: the reference CNN).")
    var model: String?

    @Flag(help: "A short search (under a minute on 2 CPU cores): the same candidates at smaller batches, fewer timed runs.")
    var quick = false

    @Option(help: "The training mini-batch of the shapes.")
    var batchSize = 32

    func validate() throws {
        try FlagRange.check(batchSize, TrainingLimits.batchSize, flag: "--batch-size")
    }

    func run() throws {
        let choice = try deviceOptions.choice()
        guard choice != .cpu else {
            throw CommandFailure(message: "glassbox tune: the CPU reference (device cpu) has no kernels to tune; choose an OpenCL device")
        }
        let selection: DeviceSelection
        do { selection = try (choice == .auto ? DeviceChoice.opencl : choice).resolve() } catch {
            throw CommandFailure(message: "glassbox tune: no OpenCL device to tune (\(error))")
        }
        guard let device = selection.device else {
            throw CommandFailure(message: "glassbox tune: no OpenCL device to tune (\(selection.fallbackReason ?? "none found"))")
        }
        let network: Sequential
        do { network = try model.map { try ForeignModel.load(from: URL(fileURLWithPath: $0)) } ?? Sequential.referenceCNN() } catch {
            throw CommandFailure(error)
        }
        let modelName = model ?? "reference CNN"
        guard let location = TuningCache.location() else {
            throw CommandFailure(message: "glassbox tune: GLASSBOX_TUNING_CACHE is 'none' or no home folder is set: nowhere to keep the results")
        }
        let tuner = KernelTuner(device: device, options: KernelTuner.Options(quick: quick, trainingBatch: batchSize))
        print("tuning \(device.name) (driver \(device.driverVersion), \(tuner.variant) kernels) at the shapes of \(modelName)\(quick ? ", quick search" : "")")
        let result: KernelTuner.Result
        do {
            result = try tuner.tune(model: network) { print($0) }
        } catch { throw CommandFailure(error) }
        var cache: TuningCache
        do { cache = try TuningCache.load(from: location) } catch {
            DeviceChoice.printToStandardError("glassbox: \(error); writing a new tuning cache")
            cache = TuningCache()
        }
        cache.store(TuningCache.Entry(device: device, tuned: Date(), model: modelName, quick: quick,
                                      parameters: result.tuning, timeRatios: result.timeRatios))
        do { try cache.save(to: location) } catch {
            throw CommandFailure(message: "glassbox tune: cannot write the tuning cache \(location.path): \(error)")
        }
        let changed = result.tuning.differencesFromDefaults
        print(String(format: "searched in %.1f s; ", result.seconds) + (changed.isEmpty ? "the defaults won" : "tuned: " + changed.joined(separator: " ")))
        print("saved to \(location.path) (device \(device.name), driver \(device.driverVersion), kernels \(TuningCache.kernelsVersion))")
    }
}
