import Foundation
import Glassbox
import XCTest

/// The example MLP (examples/mlp.json, written by Keras) trained on the breast cancer table that
/// Debian's python3-sklearn ships, standardised with the training part's statistics: it learns
/// the table (test accuracy well above the 63% of always answering "benign").
final class TabularTrainingTests: XCTestCase {
    func testExampleMLPLearnsTheBreastCancerTable() throws {
        guard FileManager.default.fileExists(atPath: BreastCancerTable.defaultCSV) else {
            throw XCTSkip("python3-sklearn is not installed (scripts/setup.sh installs it)")
        }
        let (table, classes) = try BreastCancerTable.table(
            csv: try Data(contentsOf: URL(fileURLWithPath: BreastCancerTable.defaultCSV)), csvPath: BreastCancerTable.defaultCSV,
            description: try Data(contentsOf: URL(fileURLWithPath: BreastCancerTable.defaultDescription)),
            descriptionPath: BreastCancerTable.defaultDescription)
        let data = try TabularData.make(table, path: BreastCancerTable.defaultCSV, classNames: classes, testFraction: 0.2, seed: 0)
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/mlp.json")
        var model = try KerasArchitecture.model(from: examples, seed: 1)
        XCTAssertEqual(model.inputShape, [30])
        try model.compile(optimizer: .adam, loss: .sparseCategoricalCrossentropy, seed: 1)
        let standardization = data.standardization
        let backend = CPUBackend()
        _ = try model.fit(x: standardization.apply(data.trainFeatures), y: data.trainLabels, epochs: 20, batchSize: 32, backend: backend)
        let (_, accuracy) = try model.evaluate(x: standardization.apply(data.testFeatures), y: data.testLabels, backend: backend)
        print("example MLP on the breast cancer table: test accuracy \(accuracy) on \(data.testCount) rows")
        XCTAssertGreaterThan(accuracy, 0.9)
    }
}
