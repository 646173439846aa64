// Safetensors.swift: a memory-mapped .safetensors file. The header is validated in full before any
// tensor is handed out: its length, JSON, every dtype and shape, and data offsets that lie inside the
// file, match the dtype x shape, and do not overlap.
import Foundation

/// One .safetensors file, mapped read-only.
final class SafetensorsFile: WeightStore, @unchecked Sendable {
    struct Entry {
        let type: StorageType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    let path: String
    let metadata: [String: String]
    private let file: MappedFile
    private let entries: [String: Entry]
    private let dataStart: Int

    /// Largest header we accept (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    init(path: String) throws {
        let file = try MappedFile(path: path)
        self.path = path
        self.file = file
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw LoadError.malformed(path: path, field: "header length", reason: "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard headerLength <= UInt64(Self.maxHeaderBytes), Int(headerLength) <= bytes.count - 8 else {
            throw LoadError.malformed(path: path, field: "header length",
                                      reason: "header of \(headerLength) bytes runs past the end of the \(bytes.count)-byte file")
        }
        // our own JSON reader keeps every key as written, so a name given twice (or twice in canonically
        // equivalent spellings) is refused instead of one tensor silently shadowing the other
        let headerData = Data(bytes[8..<(8 + Int(headerLength))])
        let json: JinjaValue
        do {
            json = try JinjaValue.parseJSON(headerData, rejectingDuplicateKeys: true)
        } catch {
            throw LoadError.malformed(path: path, field: "header", reason: "not valid JSON (\(error))")
        }
        guard case let .dict(headerObject) = json else {
            throw LoadError.malformed(path: path, field: "header", reason: "expected a JSON object")
        }
        var header: [(String, Any)] = []
        var seen = Set<String>()
        for (key, value) in headerObject.pairs {
            guard case let .string(name) = key else { continue }
            guard seen.insert(name).inserted else {
                throw LoadError.malformed(path: path, field: "tensor '\(name)'", reason: "the name appears twice in the header")
            }
            header.append((name, value.foundationValue))
        }
        dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else {
                    throw LoadError.malformed(path: path, field: "__metadata__", reason: "expected an object of strings")
                }
                for (k, v) in dict {
                    guard let s = v as? String else {
                        throw LoadError.malformed(path: path, field: "__metadata__.\(k)", reason: "expected a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try Self.parseEntry(name: name, value: value, dataSize: dataSize, path: path)
        }
        try Self.checkNoOverlap(entries, path: path)
        self.metadata = metadata
        self.entries = entries
    }

    private static func parseEntry(name: String, value: Any, dataSize: Int, path: String) throws -> Entry {
        guard let dict = value as? [String: Any] else {
            throw LoadError.malformed(path: path, field: "tensor '\(name)'", reason: "expected an object with dtype, shape, data_offsets")
        }
        guard let dtypeName = dict["dtype"] as? String else {
            throw LoadError.malformed(path: path, field: "tensor '\(name)'.dtype", reason: "missing or not a string")
        }
        guard let type = StorageType(rawValue: dtypeName), let elementSize = type.elementSize else {
            throw LoadError.unsupported(path: path, field: "tensor '\(name)'.dtype", value: dtypeName,
                                        supported: "F32, F16, BF16, F64, I8, U8, I16, U16, I32, U32, I64, U64, BOOL")
        }
        guard let shape = integers(dict["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw LoadError.malformed(path: path, field: "tensor '\(name)'.shape", reason: "expected a list of non-negative integers")
        }
        guard let offsets = integers(dict["data_offsets"]), offsets.count == 2 else {
            throw LoadError.malformed(path: path, field: "tensor '\(name)'.data_offsets", reason: "expected [begin, end]")
        }
        let begin = offsets[0], end = offsets[1]
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw LoadError.malformed(path: path, field: "tensor '\(name)'.data_offsets",
                                      reason: "[\(begin), \(end)] is outside the data section of \(dataSize) bytes")
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw LoadError.malformed(path: path, field: "tensor '\(name)'.shape", reason: "\(shape) overflows")
            }
            count = product
        }
        let (expectedBytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, expectedBytes == end - begin else {
            throw LoadError.tensorMismatch(path: path, tensor: name, expected: overflow ? "more than Int.max bytes for \(dtypeName) \(shape)" : "\(expectedBytes) bytes for \(dtypeName) \(shape)",
                                           found: "\(end - begin) bytes at data_offsets [\(begin), \(end)]")
        }
        return Entry(type: type, shape: shape, begin: begin, end: end)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            guard let number = item as? Int, number.magnitude < 9_000_000_000_000_000 else { return nil }
            out.append(number)
        }
        return out
    }

    private static func checkNoOverlap(_ entries: [String: Entry], path: String) throws {
        let sorted = entries.filter { $0.value.end > $0.value.begin }.sorted { $0.value.begin < $1.value.begin }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.value.begin < previous.value.end {
            throw LoadError.malformed(path: path, field: "tensor '\(next.key)'.data_offsets",
                                      reason: "[\(next.value.begin), \(next.value.end)] overlaps '\(previous.key)' at [\(previous.value.begin), \(previous.value.end)]")
        }
    }

    var tensorNames: [String] { entries.keys.sorted() }

    func tensor(named name: String) throws -> HostTensor? {
        guard let entry = entries[name] else { return nil }
        let start = dataStart + entry.begin
        let slice = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(dataStart + entry.end)])
        return HostTensor(file: path, name: name, type: entry.type, shape: entry.shape, bytes: slice, owner: file)
    }
}
