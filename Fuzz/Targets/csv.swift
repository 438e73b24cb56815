// Fuzz target `csv`: bytes are a CSV file, read by CSVTable and made a TabularData (label = the
// last column, a 20% test split), and also read as scikit-learn's bundled format
// (BreastCancerTable, with a fixed description). Ragged rows, non-numeric cells, quotes never
// closed, one-class labels and headers with repeated names must all be GlassboxErrors.
import Foundation
@testable import Glassbox

/// An array, not a `Data`: a global `Data` keeps its storage where LeakSanitizer does not see it.
let csvFuzzDescription = Array("radius (mean): 1 2\ntexture (mean): 1 2\nradius (standard error): 1 2\n".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    if let table = expectingGlassboxError("parse", { try CSVTable(data, path: "table.csv") }) {
        fuzzCheck(table.rows.allSatisfy { $0.count == table.columns.count }, "every row has the header's cell count")
        if let tabular = expectingGlassboxError("tabular", { try TabularData.make(table, path: "table.csv") }) {
            fuzzCheck(tabular.trainFeatures.count == tabular.trainCount * tabular.featureCount, "train features fill the rows")
            fuzzCheck(tabular.testFeatures.count == tabular.testCount * tabular.featureCount, "test features fill the rows")
            fuzzCheck(tabular.trainLabels.allSatisfy { Int($0) < tabular.classNames.count }, "labels index the classes")
            fuzzCheck(tabular.standardization.scale.allSatisfy { $0 > 0 && $0.isFinite || $0 == .infinity }, "scales are positive")
        }
    }
    if BreastCancerTable.looksLikeScikitLearn(data) {
        _ = expectingGlassboxError("scikit-learn") {
            try BreastCancerTable.table(csv: data, csvPath: "bc.csv", description: Data(csvFuzzDescription), descriptionPath: "bc.rst")
        }
    }
    return 0
}
