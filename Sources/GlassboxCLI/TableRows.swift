import ArgumentParser
import Foundation
import Glassbox

/// The rows of `--data file.csv` as a model takes them, for `predict` and `explain`.
enum TableRows {
    /// The file, the model's schema (its own, or for a model without one, the file's columns as
    /// they are with the last one as the label when the file has one column too many), and the
    /// rows: standardised, raw, and the label cells when the file has the label column.
    static func load(for model: Sequential, data: String, operation: String) throws
        -> (file: (table: CSVTable, classNames: [String]?, path: String), schema: TabularSchema,
            rows: (rows: [Float], raw: [Float], labels: [String]?)) {
        let file = try reportingErrors { try TabularFile.read(data) }
        let schema = model.tabular ?? TabularSchema.identity(columns: file.table.columns,
                                                             label: file.table.columns.count > model.sampleSize ? file.table.columns.last : nil)
        guard model.inputShape == [schema.featureNames.count] else {
            throw CommandFailure(GlassboxError.invalidArgument(operation: operation,
                reason: "the model takes \(model.inputShape), not rows of \(schema.featureNames.count) features (\(data))"))
        }
        return (file, schema, try reportingErrors { try schema.inputs(of: file.table, path: file.path) })
    }
}
