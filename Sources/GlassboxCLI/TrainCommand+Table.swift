import ArgumentParser
import Foundation
import Glassbox

extension TrainCommand {
    /// `train --data file.csv`: a model of a table's rows, standardised with the training part's
    /// statistics (saved in the model file with the feature names, so predict and explain take
    /// raw rows); the default model is ``Sequential/tabularMLP(features:classes:seed:)``.
    func trainOnTable() throws {
        let dataPath = dataOptions.data
        let inputs = (dataPath == TabularFile.breastCancerName ? [] : [OutputFiles.Entry(flag: "--data", path: dataPath)])
            + InputFiles.entry(testData, flag: "--test-data") + InputFiles.entry(architecture, flag: "--architecture")
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)], inputs: inputs)
        if dataOptions.classes != nil { throw ValidationError("--classes names image classes; a table's classes come from its label column") }
        let lock = try reportingErrors { try WriterLock(for: out) }
        defer { lock.release() }
        let backend = try deviceOptions.backend()
        let seed = self.seed ?? 0
        let (data, labelName) = try reportingErrors {
            try TabularFile.load(dataPath, label: label, testFraction: testSplit ?? 0.2, seed: seed, testPath: testData)
        }
        let outURL = URL(fileURLWithPath: out)
        var model: Sequential = try reportingErrors {
            if resume {
                guard FileManager.default.fileExists(atPath: outURL.path) else { throw ValidationError("--resume: no checkpoint at \(out)") }
                let loaded = try Sequential.load(from: outURL)
                guard let state = loaded.training else { throw ValidationError("--resume: \(out) holds no training state") }
                try TrainingLimits.check(state, source: "--resume \(out): metadata 'training'")
                guard loaded.tabular?.featureNames == data.featureNames else {
                    throw ValidationError("--resume: \(out) was trained on other columns than \(dataPath)'s")
                }
                return loaded
            }
            var model = try architecture.map { try KerasArchitecture.model(from: URL(fileURLWithPath: $0), seed: seed) }
                ?? Sequential.tabularMLP(features: data.featureCount, classes: data.classNames.count, seed: seed)
            let chosen: Optimizer = optimizer == "sgd"
                ? .sgd(learningRate: learningRate ?? 0.01)
                : .adam(AdamHyperparameters(learningRate: learningRate ?? 0.001))
            try model.compile(optimizer: chosen, loss: .sparseCategoricalCrossentropy, seed: seed)
            return model
        }
        guard model.inputShape == [data.featureCount] else {
            throw CommandFailure(GlassboxError.invalidArgument(operation: "train",
                reason: "the model takes \(model.inputShape) but \(dataPath) has \(data.featureCount) feature columns (\(data.featureNames.prefix(3).joined(separator: ", ")), ...)"))
        }
        guard model.outputCount == data.classNames.count else {
            throw CommandFailure(GlassboxError.invalidArgument(operation: "train",
                reason: "the model has \(model.outputCount) outputs but column '\(labelName)' of \(dataPath) holds \(data.classNames.count) classes (\(data.classNames.prefix(5).joined(separator: ", ")))"))
        }
        // The standardisation of the training part is the model's: a resumed model keeps its own.
        let schema = model.tabular ?? TabularSchema.of(data, label: labelName)
        model.tabular = schema
        model.classNames = data.classNames
        let count = min(limit ?? data.trainCount, data.trainCount)
        let x = Array(schema.standardize(data.trainFeatures)[..<(count * data.featureCount)])
        let y = Array(data.trainLabels[..<count])
        let testX = schema.standardize(data.testFeatures)
        print("backend: \(backend.name)")
        print("data: \(dataPath), \(count) training and \(data.testCount) test rows of \(data.featureCount) features; label '\(labelName)' with classes \(data.classNames.joined(separator: ", "))")
        try fitAndSave(&model, x: x, y: y, testX: testX, testY: data.testLabels, backend: backend, outURL: outURL)
    }
}
