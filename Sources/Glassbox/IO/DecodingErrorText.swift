/// Words for a `DecodingError` from a JSON file: what is wrong and where, as
/// `'results' is missing at run` or `results.[2].position: expected Int`.
enum DecodingErrorText {
    static func describe(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "the top level"
                : context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "'\(key.stringValue)' is missing at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong value at \(path(context)): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
