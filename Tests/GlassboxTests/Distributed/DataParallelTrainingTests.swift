import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Data-parallel `fit` over ranks run as threads (``ThreadCommunicator``): the MPI build runs
/// the same code over `mpirun` (MPICommandTests); these check it in every build.
final class DataParallelTrainingTests: XCTestCase {
    /// Trains one epoch over `ranks` ranks, each with its own CPU reference backend and its own
    /// copy of the model; returns every rank's model and reports.
    func train(ranks: Int, count: Int, batchSize: Int, epochs: Int = 1) throws -> [(Sequential, [EpochReport])] {
        let (x, y) = TrainingTests.blobs(count: count, seed: 11)
        return try ThreadCommunicator.run(ranks: ranks) { communicator in
            var model = try TrainingTests.smallCNN(seed: 7)
            try model.compile(optimizer: .adam(AdamHyperparameters(learningRate: 0.01)), seed: 3)
            let reports = try model.fit(x: x, y: y, epochs: epochs, batchSize: batchSize, backend: CPUBackend(), communicator: communicator)
            return (model, reports)
        }
    }

    /// N = 1, 2 and 3 ranks give the same weights to a relative 1e-4 (the bound; only the
    /// order of the gradient sums differs), every rank of a run holds identical weights, and the
    /// epoch loss is the whole batch's. 150 samples in batches of 16: the last batch of 6 splits
    /// unevenly over 4 ranks.
    func testWeightsAgreeForOneTwoThreeAndFourRanks() throws {
        let single = try train(ranks: 1, count: 150, batchSize: 16, epochs: 2)[0]
        XCTAssertLessThan(single.1.last!.loss, single.1.first!.loss, "the model learns")
        for ranks in [2, 3, 4] {
            let runs = try train(ranks: ranks, count: 150, batchSize: 16, epochs: 2)
            for (rank, run) in runs.enumerated() {
                XCTAssertEqual(run.0.parameters, runs[0].0.parameters, "\(ranks) ranks: rank \(rank) differs from rank 0")
                for (layer, tensors) in run.0.parameters.enumerated() {
                    for (index, values) in tensors.enumerated() {
                        let error = relativeError(values, single.0.parameters[layer][index])
                        XCTAssertLessThan(error, 1e-4, "\(ranks) ranks: layer \(layer) parameter \(index)")
                    }
                }
                for (a, b) in zip(run.1, single.1) {
                    XCTAssertEqual(a.loss, b.loss, accuracy: 1e-5 * b.loss, "\(ranks) ranks: epoch \(a.epoch) loss")
                    XCTAssertEqual(a.accuracy, b.accuracy, accuracy: 1e-9, "\(ranks) ranks: epoch \(a.epoch) accuracy")
                }
                XCTAssertEqual(run.0.training?.step, single.0.training?.step)
            }
        }
    }

    /// A global batch smaller than the rank count leaves some ranks without samples: they add
    /// zero gradients and still take the step.
    func testBatchesSmallerThanTheRankCount() throws {
        let single = try train(ranks: 1, count: 21, batchSize: 2)[0]
        let runs = try train(ranks: 3, count: 21, batchSize: 2)
        for (layer, tensors) in runs[2].0.parameters.enumerated() {
            for (index, values) in tensors.enumerated() {
                XCTAssertLessThan(relativeError(values, single.0.parameters[layer][index]), 1e-4, "layer \(layer) parameter \(index)")
            }
        }
    }

    /// Rank 0's model, optimizer state and progress reach every rank.
    func testBroadcastOfAModel() throws {
        var trained = try TrainingTests.smallCNN(seed: 5)
        try trained.compile(optimizer: .adam, seed: 1)
        let (x, y) = TrainingTests.blobs(count: 20, seed: 2)
        try trained.fit(x: x, y: y, epochs: 1, batchSize: 8, backend: CPUBackend())
        let received = try ThreadCommunicator.run(ranks: 3) { communicator in
            try communicator.broadcast(communicator.isRoot ? trained : nil, from: 0)
        }
        for model in received {
            XCTAssertEqual(model.parameters, trained.parameters)
            XCTAssertEqual(model.training, trained.training)
        }
    }
}
