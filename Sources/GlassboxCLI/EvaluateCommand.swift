import ArgumentParser
import Foundation
import Glassbox

/// `glassbox evaluate`: loss and accuracy on the test set.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Loss and accuracy of a model on the test images.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    func run() throws {
        let model = try modelOptions.load()
        let dataset = try dataOptions.load(for: model)
        let backend = try deviceOptions.backend()
        try reportingErrors {
            guard model.inputShape == dataset.imageShape else {
                throw GlassboxError.invalidArgument(operation: "evaluate",
                    reason: "\(modelOptions.model) takes \(model.inputShape) images but \(dataOptions.data) has \(dataset.imageShape)")
            }
            let (loss, accuracy) = try model.evaluate(x: dataset.testImages, y: dataset.testLabels, backend: backend)
            print("test accuracy: \(String(format: "%.4f", accuracy)) - test loss: \(String(format: "%.4f", loss)) - \(dataset.testCount) images")
        }
    }
}
