// Fuzz target `device`: the text of `--device` / `GLASSBOX_DEVICE` (UTF-8, invalid bytes
// replaced). A choice that parses must parse back from its own description to itself, since
// that text is what messages show and users copy.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDevice(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    guard let choice = expectingGlassboxError("parse '\(text)'", { try DeviceChoice(parsing: text) }) else { return 0 }
    let again = expectingGlassboxError("parse description '\(choice.description)'") { try DeviceChoice(parsing: choice.description) }
    fuzzCheck(again == choice, "'\(text)' parses to \(choice), whose description parses to \(again.map { "\($0)" } ?? "an error")")
    _ = expectingGlassboxError("environment") { try DeviceChoice.fromEnvironment(["GLASSBOX_DEVICE": text]) }
    return 0
}
