// Fuzz target `shard-file`: the bytes of a `glassbox explain --shard K/N --shard-file F` part as
// `glassbox merge` reads it (`ExplainShardFile.decode`), then what merge does with a part that
// decodes: its `--global` records added, per method, to the aggregate it writes. A part that
// decodes must re-encode to a part that decodes to the same value.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShardFile(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    guard let file = expectingGlassboxError("decode", { try ExplainShardFile.decode(data, source: "part.json") }) else { return 0 }
    fuzzCheck(file.results.count == file.shard.range(of: file.run.images).count, "a part holds its shard's images")
    let again = try! ExplainShardFile.decode(try! file.encoded(), source: "re-encoded")
    fuzzCheck(again.arguments == file.arguments && again.shard == file.shard && again.run == file.run
        && again.results.count == file.results.count, "re-encoding keeps the part")
    var aggregates: [String: GlobalExplanation] = [:]
    for image in file.results {
        for record in image.records {
            if aggregates[record.method] == nil {
                aggregates[record.method] = GlobalExplanation(method: record.method, width: file.run.width, height: file.run.height,
                                                              segmentCount: record.values.count, classCount: file.run.classNames.count)
            }
            _ = expectingGlassboxError("add") {
                try aggregates[record.method]!.add(target: record.target, values: record.values, pixelMap: record.pixelMap,
                                                   intensities: record.intensities)
            }
        }
    }
    for aggregate in aggregates.values {
        _ = aggregate.ranking
        _ = aggregate.colourValues
        _ = aggregate.rankingConvergenceRatio
    }
    return 0
}
