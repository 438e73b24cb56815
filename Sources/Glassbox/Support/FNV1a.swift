/// 64-bit FNV-1a: a fast, stable digest for cache keys (kernel sources, program binaries), not a
/// cryptographic hash.
enum FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The digest of `bytes`, continuing from `hash` (the offset basis for a fresh digest).
    static func digest<Bytes: Sequence>(_ bytes: Bytes, continuing hash: UInt64 = offsetBasis) -> UInt64 where Bytes.Element == UInt8 {
        var hash = hash
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
