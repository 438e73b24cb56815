import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Glassbox's table explainers against shap and lime on the same Keras models, from the fixture
/// `bench/tabular_fixtures.py` writes (Tests/Fixtures/tabular; its versions are in tabular.json).
final class TabularExplainerParityTests: XCTestCase {
    struct Fixture: Decodable {
        struct Exact: Decodable {
            let background: [Int]; let rows: [Int]; let target: Int
            let values: [[Double]]; let base_values: [Double]
        }
        struct Lime: Decodable {
            let rows: [Int]; let target: Int; let samples: Int; let num_features: Int
            let weights: [[[Double]]]
        }
        let features: Int
        let x: String
        let feature_names: [String]
        let exact: Exact
        let lime: Lime
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/tabular")

    func fixture() throws -> (Fixture, [Float]) {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.folder.appendingPathComponent("tabular.json")))
        let bytes = Data(base64Encoded: fixture.x)!
        let x = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (fixture, x)
    }

    /// Exact Shapley values with a background of 20 rows equal shap's `ExactExplainer` with an
    /// `Independent` masker over the same rows (model mlp10: 10 features), on every backend.
    func testExactShapWithBackgroundEqualsShapExactExplainer() throws {
        let (fixture, x) = try fixture()
        let model = try ForeignModel.load(from: Self.folder.appendingPathComponent("mlp10.keras"))
        let f = fixture.features, m = 10
        func row(_ i: Int) -> [Float] { Array(x[(i * f)..<(i * f + m)]) }
        let background = fixture.exact.background.flatMap(row)
        let segmentation = try Segmentation(width: m, height: 1, segmentOfPixel: Array(0..<m))
        var backends: [any Backend] = [TestBackends.reference]
        backends += try TestBackends.openCLBackends() as [any Backend]
        for backend in backends {
            let session = try InferenceSession(model: model, backend: backend)
            for (position, index) in fixture.exact.rows.enumerated() {
                let request = try ExplanationRequest(session: session, input: row(index), baseline: background, segmentation: segmentation,
                                                     target: fixture.exact.target)
                XCTAssertEqual(request.references, 20)
                let explanation = try ExactShapley().explain(request)
                let expected = fixture.exact.values[position]
                let worst = zip(explanation.values, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 1e-5, "\(backend.name) row \(index): \(explanation.values) vs shap \(expected)")
                XCTAssertEqual(explanation.baseValue, fixture.exact.base_values[position], accuracy: 1e-5, "\(backend.name) row \(index)")
                XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-9)
            }
        }
    }

    /// LIME tabular ranks features as lime_tabular does: the Spearman correlation of the weights
    /// of lime's top 10 features, ours against lime's, averaged over 20 rows, both with 5,000
    /// samples, is at least 0.8 (lime against itself with another seed: 0.94 in the fixture).
    func testLimeTabularAgreesWithLimeTabularExplainer() throws {
        let (fixture, x) = try fixture()
        let model = try ForeignModel.load(from: Self.folder.appendingPathComponent("mlp30.keras"))
        let f = fixture.features
        // The 100,000 perturbed rows run on OpenCL where there is a device (the CPU reference
        // computes the same outputs, more slowly under the sanitizers).
        let backend: any Backend = (try? TestBackends.openCL(.cpu)) ?? TestBackends.reference
        let session = try InferenceSession(model: model, backend: backend)
        let segmentation = try Segmentation(width: f, height: 1, segmentOfPixel: Array(0..<f))
        let clock = Date()
        let lime = try LimeTabular(training: x, featureNames: fixture.feature_names, numFeatures: fixture.lime.num_features)
        var total = 0.0
        for (position, index) in fixture.lime.rows.enumerated() {
            let input = Array(x[(index * f)..<((index + 1) * f)])
            let request = try ExplanationRequest(session: session, input: input, baseline: input, segmentation: segmentation,
                                                 target: fixture.lime.target, samples: fixture.lime.samples, seed: UInt64(index))
            let ours = try lime.explain(request)
            XCTAssertEqual(ours.values.filter { $0 != 0 }.count, 10)
            XCTAssertEqual(ours.featureRules?.count, f)
            let theirs = fixture.lime.weights[position]
            let spearman = ExplanationMetrics.spearman(theirs.map { $0[1] }, theirs.map { ours.values[Int($0[0])] })
            total += spearman
        }
        let mean = total / Double(fixture.lime.rows.count)
        print("LIME tabular vs lime_tabular on \(backend.name): mean Spearman of the top-10 weights over \(fixture.lime.rows.count) rows: \(mean) (\(Date().timeIntervalSince(clock)) s)")
        XCTAssertGreaterThanOrEqual(mean, 0.8)
    }

    /// lime's quartile bins and rule text on a small column: edges at numpy's percentiles, a
    /// value equal to an edge in the lower bin, repeated edges merged.
    func testQuartileDiscretizerFollowsLime() throws {
        let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]   // quartiles 3, 5, 7
        let bins = try QuartileDiscretizer(training: values, featureCount: 1)
        XCTAssertEqual(bins.edges[0], [3, 5, 7])
        let probes: [Double] = [1, 3, 3.5, 5, 7, 7.5, 9]
        XCTAssertEqual(probes.map { bins.bin($0, feature: 0) }, [0, 0, 1, 1, 2, 3, 3])
        XCTAssertEqual(bins.rule(feature: 0, bin: 0, name: "x"), "x <= 3.00")
        XCTAssertEqual(bins.rule(feature: 0, bin: 1, name: "x"), "3.00 < x <= 5.00")
        XCTAssertEqual(bins.rule(feature: 0, bin: 3, name: "x", toRaw: { $0 * 10 }), "x > 70.00")
        let expected: [Double] = [3, 2, 2, 2]
        XCTAssertEqual(bins.frequencies[0], expected.map { $0 / 9 })
        XCTAssertEqual(bins.means[0][3], 8.5, accuracy: 1e-12)
        let zeros = try QuartileDiscretizer(training: [0, 0, 0, 0, 0, 1, 2, 3], featureCount: 1)
        XCTAssertEqual(zeros.edges[0], [0, 1.25])   // 25th and 50th percentiles coincide at 0
    }

    /// The interventional value function: a coalition with K background rows is the mean of the
    /// K single-baseline coalitions, so Shapley values with a background are the mean of the
    /// values with each row as the baseline (linearity), on every backend.
    func testBackgroundValuesAreTheMeanOverSingleBaselines() throws {
        var random = SeededGenerator(seed: 11)
        var model = try Sequential(inputShape: [7], seed: 3, layers: [try Dense(units: 9, activation: .relu), try Dense(units: 3, activation: .softmax)])
        model.classNames = nil
        let input = random.floats(7, in: -2...2), rows = (0..<5).map { _ in random.floats(7, in: -2...2) }
        let segmentation = try Segmentation(width: 7, height: 1, segmentOfPixel: Array(0..<7))
        var backends: [any Backend] = [TestBackends.reference]
        backends += try TestBackends.openCLBackends() as [any Backend]
        for backend in backends {
            let session = try InferenceSession(model: model, backend: backend)
            let together = try ExactShapley().explain(try ExplanationRequest(session: session, input: input, baseline: Array(rows.joined()),
                                                                             segmentation: segmentation, target: 2))
            var mean = [Double](repeating: 0, count: 7)
            for row in rows {
                let single = try ExactShapley().explain(try ExplanationRequest(session: session, input: input, baseline: row,
                                                                               segmentation: segmentation, target: 2))
                for j in 0..<7 { mean[j] += single.values[j] / 5 }
            }
            let norm = mean.map { $0 * $0 }.reduce(0, +).squareRoot()
            let error = zip(together.values, mean).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / norm
            XCTAssertLessThan(error, 1e-5, "\(backend.name)")
            // A method that takes one baseline says so instead of using the first row.
            XCTAssertThrowsError(try IntegratedGradients().explain(try ExplanationRequest(session: session, input: input,
                baseline: Array(rows.joined()), segmentation: segmentation, target: 2))) { XCTAssertTrue("\($0)".contains("one baseline row"), "\($0)") }
        }
    }
}
