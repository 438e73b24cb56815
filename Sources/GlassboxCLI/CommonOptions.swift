import ArgumentParser
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
}
