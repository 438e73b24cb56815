import Foundation

/// An HDF5 file read from memory: the groups, floating-point datasets and string attributes that
/// hold a Keras model's weights (`model.weights.h5`, as h5py writes it by default).
///
/// The reader knows the subset of the HDF5 file format (The HDF Group, "HDF5 File Format
/// Specification", version 0 and 1 structures) that h5py writes with its default `libver`:
/// a version 0 or 1 superblock; version 1 object headers (with continuation blocks); groups as
/// symbol tables (a version 1 B-tree of symbol-table nodes, names in a local heap); datasets with
/// a simple dataspace, an IEEE float datatype (32 or 64 bits, either byte order) and a contiguous
/// or compact layout (version 3 layout message); attributes (version 1 or 2 messages) holding a
/// fixed-length string or a variable-length one in a global heap collection. Anything else
/// (chunked or compressed datasets, the newer link-message groups, superblock 2 and 3) is refused
/// by name.
///
/// Every address, size and count read from the file is checked against the bytes actually there
/// before it is used, B-tree and continuation walks are bounded, and a dataset is read only
/// after its shape matched what the caller expects: a damaged file gets an error naming the file,
/// the object and the offset, and allocates nothing that it merely claims. (The HDF5 C library,
/// Debian's 1.10.8, allocated 4 GiB and 256 GiB from damaged files under fuzzing: ROBUSTNESS.md,
/// findings 8 and 9. The tests check this reader against that library on the fixtures.)
final class HDF5File {
    private let bytes: [UInt8]
    private let path: String
    private var offsetSize = 8
    private var lengthSize = 8
    private var base = 0
    private var root = 0

    /// The HDF5 signature, at offset 0, 512, 1024, 2048, ... (after a user block).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Reads the superblock of the HDF5 file whose bytes are `data`; `path` names it in errors.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` when the bytes are not HDF5
    ///   or use a superblock this reader does not know.
    init(_ data: Data, path: String) throws {
        self.bytes = [UInt8](data)
        self.path = path
        var start: Int?
        var candidate = 0
        while candidate <= bytes.count - 8 {
            if bytes[candidate..<candidate + 8].elementsEqual(Self.signature) { start = candidate; break }
            candidate = candidate == 0 ? 512 : candidate * 2
        }
        guard let start else { throw malformed(at: 0, "not an HDF5 file (no HDF5 signature)") }
        let version = try byte(start + 8)
        guard version <= 1 else {
            throw malformed(at: start + 8, "superblock version \(version) is not supported (0 or 1, as h5py writes by default)")
        }
        offsetSize = Int(try byte(start + 13))
        lengthSize = Int(try byte(start + 14))
        guard [2, 4, 8].contains(offsetSize), [2, 4, 8].contains(lengthSize) else {
            throw malformed(at: start + 13, "sizes of offsets \(offsetSize) and lengths \(lengthSize) must be 2, 4 or 8")
        }
        var at = start + 24 + (version == 1 ? 4 : 0)
        base = try address(at)
        guard base <= bytes.count else { throw malformed(at: at, "base address \(base) lies past the end of the file") }
        at += 4 * offsetSize   // base, free space, end of file, driver information
        // The root group's symbol-table entry: its object header address.
        root = try address(at + offsetSize)
    }

    // MARK: - What the Keras reader asks

    /// Whether the group or dataset at `objectPath` (components separated by `/`) exists.
    func contains(_ objectPath: String) throws -> Bool {
        try find(objectPath) != nil
    }

    /// The shape of the floating-point dataset at `objectPath`.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` when it is missing, not a
    ///   dataset, not floating point, or damaged.
    func shape(of objectPath: String) throws -> [Int] {
        try dataset(objectPath).shape
    }

    /// The values of the floating-point dataset at `objectPath`, which must have shape
    /// `expected` (row-major, converted to Float).
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming the dataset, its
    ///   shape and the one expected.
    func floats(_ objectPath: String, expected: [Int]) throws -> [Float] {
        let info = try dataset(objectPath)
        guard info.shape == expected else {
            throw malformed(at: nil, "dataset '\(objectPath)' has shape \(info.shape), the layer needs \(expected)")
        }
        let count = expected.reduce(1, *)
        guard info.data.count == count * info.elementSize else {
            throw malformed(at: info.data.lowerBound, "dataset '\(objectPath)' stores \(info.data.count) bytes, not the \(count * info.elementSize) of \(count) values")
        }
        return (0..<count).map { index in
            let at = info.data.lowerBound + index * info.elementSize
            var bits: UInt64 = 0
            for k in 0..<info.elementSize {
                let shift = info.bigEndian ? 8 * (info.elementSize - 1 - k) : 8 * k
                bits |= UInt64(bytes[at + k]) << shift
            }
            return info.elementSize == 4 ? Float(bitPattern: UInt32(truncatingIfNeeded: bits)) : Float(Double(bitPattern: bits))
        }
    }

    /// The string attribute `name` of the object at `objectPath`, or nil when it has none (or it
    /// is not a string).
    func stringAttribute(_ name: String, of objectPath: String) -> String? {
        guard let header = try? find(objectPath), let messages = try? messages(header) else { return nil }
        for message in messages where message.type == 0x000C {
            if let value = try? attribute(message, named: name) { return value }
        }
        return nil
    }

    // MARK: - Groups and paths

    /// The object header address of `objectPath`, or nil when a component is missing.
    private func find(_ objectPath: String) throws -> Int? {
        var header = root
        for component in objectPath.split(separator: "/").map(String.init) {
            guard let child = try members(of: header)[component] else { return nil }
            header = child
        }
        return header
    }

    /// The members of the group whose object header is at `header`: name to object header.
    private func members(of header: Int) throws -> [String: Int] {
        let all = try messages(header)
        guard let table = all.first(where: { $0.type == 0x0011 }) else {
            if all.contains(where: { $0.type == 0x0002 || $0.type == 0x0006 }) {
                throw malformed(at: header, "a group in HDF5's link-message format (libver 'latest') is not supported; save with h5py's default")
            }
            throw malformed(at: header, "the object at \(header) is not a group")
        }
        let tree = try address(table.data.lowerBound), heap = try address(table.data.lowerBound + offsetSize)
        let names = try localHeap(heap)
        var result: [String: Int] = [:]
        var visited = Set<Int>()
        try walk(tree, level: nil, names: names, into: &result, visited: &visited)
        return result
    }

    /// Walks a version 1 B-tree of group nodes, collecting symbol-table entries.
    private func walk(_ node: Int, level expected: Int?, names: Range<Int>, into result: inout [String: Int], visited: inout Set<Int>) throws {
        guard visited.insert(node).inserted, visited.count <= 100_000 else { throw malformed(at: node, "a B-tree node is reached twice (a cycle)") }
        guard try slice(node, 4).elementsEqual(Array("TREE".utf8)) else { throw malformed(at: node, "no B-tree node ('TREE') here") }
        let type = try byte(node + 4), level = Int(try byte(node + 5)), used = Int(try u(node + 6, 2))
        guard type == 0 else { throw malformed(at: node + 4, "B-tree node type \(type) is not a group node") }
        if let expected, level != expected { throw malformed(at: node + 5, "B-tree node level \(level) where \(expected) was expected") }
        var at = node + 8 + 2 * offsetSize + lengthSize   // header, siblings, key 0
        for _ in 0..<used {
            let child = try address(at)
            if level == 0 {
                guard visited.insert(child).inserted else { throw malformed(at: at, "a symbol-table node is listed twice") }
                try symbols(child, names: names, into: &result)
            } else {
                try walk(child, level: level - 1, names: names, into: &result, visited: &visited)
            }
            at += offsetSize + lengthSize
        }
    }

    /// The entries of a symbol-table node ("SNOD").
    private func symbols(_ node: Int, names: Range<Int>, into result: inout [String: Int]) throws {
        guard try slice(node, 4).elementsEqual(Array("SNOD".utf8)) else { throw malformed(at: node, "no symbol-table node ('SNOD') here") }
        let count = Int(try u(node + 6, 2))
        let entrySize = 2 * offsetSize + 24
        for index in 0..<count {
            let entry = node + 8 + index * entrySize
            let name = try string(in: names, at: try length(entry, size: offsetSize))
            result[name] = try address(entry + offsetSize)
        }
    }

    /// The data segment of a local heap ("HEAP").
    private func localHeap(_ heap: Int) throws -> Range<Int> {
        guard try slice(heap, 4).elementsEqual(Array("HEAP".utf8)) else { throw malformed(at: heap, "no local heap ('HEAP') here") }
        let size = try length(heap + 8)
        let data = try address(heap + 8 + 2 * lengthSize)
        _ = try slice(data, size)
        return data..<data + size
    }

    /// The NUL-terminated string at `offset` of a heap's data segment.
    private func string(in segment: Range<Int>, at offset: Int) throws -> String {
        guard offset >= 0, offset < segment.count else { throw malformed(at: segment.lowerBound, "a name offset \(offset) lies outside its heap") }
        let start = segment.lowerBound + offset
        guard let end = bytes[start..<segment.upperBound].firstIndex(of: 0) else {
            throw malformed(at: start, "a name runs past the end of its heap")
        }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    // MARK: - Object headers and messages

    private struct Message {
        var type: Int
        var data: Range<Int>
    }

    /// The messages of the version 1 object header at `header`, continuation blocks included.
    private func messages(_ header: Int) throws -> [Message] {
        let version = try byte(header)
        guard version == 1 else {
            throw malformed(at: header, version == 0x4f ? "version 2 object headers ('OHDR', libver 'latest') are not supported"
                                                        : "object header version \(version) is not supported (1)")
        }
        let total = Int(try u(header + 2, 2))
        var blocks = [(header + 16, Int(try u(header + 8, 4)))]
        var result: [Message] = []
        var seen = 0
        while let (start, size) = blocks.first {
            blocks.removeFirst()
            _ = try slice(start, size)
            var at = start
            while at + 8 <= start + size && seen < total {
                let type = Int(try u(at, 2)), dataSize = Int(try u(at + 2, 2))
                guard at + 8 + dataSize <= start + size else { throw malformed(at: at, "a header message of \(dataSize) bytes runs past its block") }
                let message = Message(type: type, data: at + 8..<at + 8 + dataSize)
                if type == 0x0010 {
                    guard blocks.count + result.count < 4096 else { throw malformed(at: at, "too many continuation blocks") }
                    blocks.append((try address(message.data.lowerBound), try length(message.data.lowerBound + offsetSize)))
                } else {
                    result.append(message)
                }
                seen += 1
                at += 8 + dataSize
            }
        }
        return result
    }

    private struct DatasetInfo {
        var shape: [Int]
        var elementSize: Int
        var bigEndian: Bool
        var data: Range<Int>
    }

    /// The shape, element type and stored bytes of the dataset at `objectPath`.
    private func dataset(_ objectPath: String) throws -> DatasetInfo {
        guard let header = try find(objectPath) else { throw malformed(at: nil, "'\(objectPath)' is missing") }
        let all = try messages(header)
        guard let space = all.first(where: { $0.type == 0x0001 }), let type = all.first(where: { $0.type == 0x0003 }),
              let layout = all.first(where: { $0.type == 0x0008 }) else {
            throw malformed(at: header, "'\(objectPath)' is not a dataset")
        }
        let shape = try dataspace(space.data.lowerBound, objectPath)
        let (elementSize, bigEndian) = try floatType(type.data.lowerBound, objectPath)
        let version = try byte(layout.data.lowerBound), layoutClass = try byte(layout.data.lowerBound + 1)
        guard version == 3 else { throw malformed(at: layout.data.lowerBound, "dataset '\(objectPath)': layout message version \(version) is not supported (3)") }
        let data: Range<Int>
        switch layoutClass {
        case 0:   // compact: the values inside the header
            let size = Int(try u(layout.data.lowerBound + 2, 2))
            _ = try slice(layout.data.lowerBound + 4, size)
            data = layout.data.lowerBound + 4..<layout.data.lowerBound + 4 + size
        case 1:   // contiguous
            let start = try address(layout.data.lowerBound + 2), size = try length(layout.data.lowerBound + 2 + offsetSize)
            _ = try slice(start, size)
            data = start..<start + size
        default:
            throw malformed(at: layout.data.lowerBound, "dataset '\(objectPath)' is chunked (layout class \(layoutClass)): only contiguous and compact datasets are supported")
        }
        return DatasetInfo(shape: shape, elementSize: elementSize, bigEndian: bigEndian, data: data)
    }

    /// A dataspace message's dimensions (versions 1 and 2).
    private func dataspace(_ at: Int, _ name: String) throws -> [Int] {
        let version = try byte(at), rank = Int(try byte(at + 1))
        guard version == 1 || version == 2, rank <= 8 else { throw malformed(at: at, "'\(name)': dataspace version \(version) of rank \(rank) is not supported") }
        if version == 2, try byte(at + 3) == 2 { throw malformed(at: at, "'\(name)' has a null dataspace") }
        let first = at + (version == 1 ? 8 : 4)
        let shape = try (0..<rank).map { try length(first + $0 * lengthSize) }
        guard shape.allSatisfy({ $0 <= Int(Int32.max) }) else { throw malformed(at: first, "'\(name)' claims shape \(shape)") }
        return shape
    }

    /// A datatype message of IEEE floating point: element size and byte order.
    private func floatType(_ at: Int, _ name: String) throws -> (size: Int, bigEndian: Bool) {
        let classAndVersion = try byte(at), flags = try byte(at + 1)
        let size = Int(try u(at + 4, 4))
        guard classAndVersion & 0x0f == 1 else { throw malformed(at: at, "dataset '\(name)' is not floating point") }
        let precision = Int(try u(at + 10, 2)), exponentSize = Int(try byte(at + 13)), mantissaSize = Int(try byte(at + 15))
        guard (size == 4 && precision == 32 && exponentSize == 8 && mantissaSize == 23)
                || (size == 8 && precision == 64 && exponentSize == 11 && mantissaSize == 52), try u(at + 8, 2) == 0 else {
            throw malformed(at: at, "dataset '\(name)': a float of \(size) bytes (\(precision) bits) is not IEEE single or double precision")
        }
        return (size, flags & 1 == 1)
    }

    /// The value of an attribute message when it is called `name` and holds a string.
    private func attribute(_ message: Message, named name: String) throws -> String? {
        let at = message.data.lowerBound
        let version = try byte(at)
        guard version == 1 || version == 2 else { return nil }
        let nameSize = Int(try u(at + 2, 2)), typeSize = Int(try u(at + 4, 2)), spaceSize = Int(try u(at + 6, 2))
        func padded(_ size: Int) -> Int { version == 1 ? (size + 7) / 8 * 8 : size }
        let nameStart = at + 8
        guard nameSize >= 1 else { return nil }
        let attributeName = String(decoding: try slice(nameStart, nameSize - 1), as: UTF8.self)
        guard attributeName == name else { return nil }
        let type = nameStart + padded(nameSize), value = type + padded(typeSize) + padded(spaceSize)
        guard value <= message.data.upperBound else { throw malformed(at: at, "attribute '\(name)' runs past its message") }
        switch try byte(type) & 0x0f {
        case 3:   // fixed-length string
            let size = Int(try u(type + 4, 4))
            return String(decoding: try slice(value, size).prefix { $0 != 0 }, as: UTF8.self)
        case 9:   // variable-length string: length, then a global heap ID (collection, index)
            let size = Int(try u(value, 4))
            let collection = try address(value + 4), index = Int(try u(value + 4 + offsetSize, 4))
            return String(decoding: try globalHeapObject(collection, index: index).prefix(size), as: UTF8.self)
        default:
            return nil
        }
    }

    /// Object `index` of the global heap collection ("GCOL") at `collection`.
    private func globalHeapObject(_ collection: Int, index: Int) throws -> ArraySlice<UInt8> {
        guard try slice(collection, 4).elementsEqual(Array("GCOL".utf8)) else { throw malformed(at: collection, "no global heap ('GCOL') here") }
        let size = try length(collection + 8)
        _ = try slice(collection, size)
        var at = collection + 8 + lengthSize
        while at + 8 + lengthSize <= collection + size {
            let objectIndex = Int(try u(at, 2)), objectSize = try length(at + 8)
            guard objectIndex != 0 else { break }   // free space
            if objectIndex == index { return try slice(at + 8 + lengthSize, objectSize) }
            at += 8 + lengthSize + (objectSize + 7) / 8 * 8
        }
        throw malformed(at: collection, "global heap object \(index) is missing")
    }

    // MARK: - Bytes

    private func malformed(at offset: Int?, _ reason: String) -> GlassboxError {
        .malformedFile(path: path, offset: offset, reason: reason)
    }

    /// `count` bytes at `offset`, checked against the end of the file.
    private func slice(_ offset: Int, _ count: Int) throws -> ArraySlice<UInt8> {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw malformed(at: offset, "\(count) bytes at offset \(offset) run past the end of the \(bytes.count)-byte file")
        }
        return bytes[offset..<offset + count]
    }

    private func byte(_ offset: Int) throws -> UInt8 { try slice(offset, 1).first! }

    /// A little-endian unsigned integer of `size` bytes.
    private func u(_ offset: Int, _ size: Int) throws -> UInt64 {
        try slice(offset, size).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A file address (relative to the base address), checked to lie inside the file.
    private func address(_ offset: Int) throws -> Int {
        let value = try u(offset, offsetSize)
        guard value < UInt64(bytes.count), base + Int(value) < bytes.count else {
            throw malformed(at: offset, value == UInt64.max >> (64 - 8 * offsetSize) ? "an address is undefined (data never written)"
                                                                                    : "address \(value) lies past the end of the \(bytes.count)-byte file")
        }
        return base + Int(value)
    }

    /// A length (of the file's size of lengths, or `size` bytes), checked to be no larger than
    /// the file.
    private func length(_ offset: Int, size: Int? = nil) throws -> Int {
        let value = try u(offset, size ?? lengthSize)
        guard value <= UInt64(bytes.count) else {
            throw malformed(at: offset, "a length of \(value) bytes exceeds the \(bytes.count)-byte file")
        }
        return Int(value)
    }
}
