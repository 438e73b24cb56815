import Foundation
import Glassbox

/// Keras-style training progress: on a terminal a bar redrawn in place
/// (`1875/1875 [==============================] - 3s 2ms/step - loss: 0.4100 - accuracy: 0.8500`),
/// otherwise one plain line per epoch.
struct ProgressBar {
    let interactive = isatty(STDOUT_FILENO) != 0
    let width = 30

    func update(_ progress: StepProgress) {
        guard interactive else { return }
        let done = Int(Double(width) * Double(progress.step) / Double(progress.steps))
        let bar = progress.step == progress.steps
            ? String(repeating: "=", count: width)
            : String(repeating: "=", count: max(done - 1, 0)) + ">" + String(repeating: ".", count: width - max(done, 1))
        let stepsWidth = String(progress.steps).count
        let counter = String(repeating: " ", count: stepsWidth - String(progress.step).count) + "\(progress.step)/\(progress.steps)"
        let perStep = progress.seconds / Double(progress.step)
        let timing = progress.step == progress.steps
            ? "\(Int(progress.seconds.rounded()))s \(Self.duration(perStep))/step"
            : "ETA: \(Int((perStep * Double(progress.steps - progress.step)).rounded()))s"
        let line = "\(counter) [\(bar)] - \(timing) - loss: \(String(format: "%.4f", progress.loss)) - accuracy: \(String(format: "%.4f", progress.accuracy))"
        print("\r" + line + "\u{1B}[K", terminator: "")
        fflush(stdout)
    }

    func epochStarted(_ epoch: Int, of epochs: Int) {
        print("Epoch \(epoch)/\(epochs)")
    }

    func epochEnded(_ report: EpochReport) {
        var line = interactive ? "\n" : "\(report.steps)/\(report.steps) - \(Int(report.seconds.rounded()))s \(Self.duration(report.seconds / Double(report.steps)))/step"
            + " - loss: \(String(format: "%.4f", report.loss)) - accuracy: \(String(format: "%.4f", report.accuracy))"
        if !interactive, let loss = report.validationLoss, let accuracy = report.validationAccuracy {
            line += " - val_loss: \(String(format: "%.4f", loss)) - val_accuracy: \(String(format: "%.4f", accuracy))"
        } else if interactive, let loss = report.validationLoss, let accuracy = report.validationAccuracy {
            line += "val_loss: \(String(format: "%.4f", loss)) - val_accuracy: \(String(format: "%.4f", accuracy))\n"
        }
        print(line, terminator: interactive ? "" : "\n")
        fflush(stdout)
    }

    static func duration(_ seconds: Double) -> String {
        seconds >= 1 ? "\(Int(seconds.rounded()))s" : seconds >= 1e-3 ? "\(Int((seconds * 1e3).rounded()))ms" : "\(Int((seconds * 1e6).rounded()))us"
    }
}
