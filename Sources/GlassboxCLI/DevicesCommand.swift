import ArgumentParser
import Glassbox

/// `glassbox devices`: every OpenCL device, and which one a choice would use.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List OpenCL platforms and devices and mark the one that will be used."
    )

    @OptionGroup var options: DeviceOptions

    func run() throws {
        let choice = try options.choice()
        // The same check every other command makes before opening a device.
        do { _ = try OpenCLBackend.memoryLimitFromEnvironment() } catch { throw CommandFailure(error) }
        let selection: DeviceSelection
        do {
            selection = try choice.resolve()
        } catch {
            // Still list what there is, then fail: the user asked for a device that is not here.
            print(Self.table((try? Device.all()) ?? [], selectedIndex: nil, cpuSelected: false))
            throw CommandFailure(error)
        }
        let devices = choice == .cpu ? ((try? Device.all()) ?? []) : selection.devices
        if let reason = selection.fallbackReason {
            DeviceChoice.printToStandardError("glassbox: \(reason); using the CPU reference backend (set GLASSBOX_DEVICE=cpu to silence this)")
        }
        print(Self.table(devices, selectedIndex: selection.deviceIndex, cpuSelected: selection.deviceIndex == nil))
        print("device choice: \(choice)")
    }

    static func table(_ devices: [Device], selectedIndex: Int?, cpuSelected: Bool) -> String {
        var lines: [String] = []
        for (index, device) in devices.enumerated() {
            let mark = index == selectedIndex ? "*" : " "
            lines.append("\(mark) opencl:\(index)  \(device.name)")
            lines.append("      platform:        \(device.platformName) (\(device.platformVersion))")
            lines.append("      type:            \(device.typeName)")
            lines.append("      compute units:   \(device.computeUnits)")
            lines.append("      global memory:   \(formatBytes(device.globalMemoryBytes))")
            lines.append("      local memory:    \(formatBytes(device.localMemoryBytes))")
            lines.append("      OpenCL C:        \(device.openCLCVersion)")
            lines.append("      driver:          \(device.driverVersion)")
            if let placement = device.workerPlacement { lines.append("      worker threads:  \(placement)") }
            lines.append("      kernels:         \(TuningSource.resolve(device: device, variant: .preferred(for: device)).1)")
        }
        if devices.isEmpty { lines.append("  (no OpenCL platform or device found)") }
        lines.append("\(cpuSelected ? "*" : " ") cpu       CPU reference backend (plain Swift, Double accumulation)")
        return lines.joined(separator: "\n")
    }

    static func formatBytes(_ bytes: UInt64) -> String {
        let mib = Double(bytes) / 1_048_576
        return mib >= 1024 ? String(format: "%.1f GiB", mib / 1024) : String(format: "%.0f KiB", Double(bytes) / 1024)
    }
}

import Foundation
