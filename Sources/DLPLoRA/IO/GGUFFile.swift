// GGUFFile.swift: a memory-mapped GGUF (v2/v3) file: header, metadata key/values of every type, and the
// tensor table, all bounds-checked before anything is read. Tensor data stays in the map; GGUFWeights
// turns it into Hugging Face-named f32/f16/bf16 tensors.
import Foundation

/// A metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    var intValue: Int? {
        switch self {
        case let .uint(v): return v <= UInt64(Int.max) ? Int(v) : nil
        case let .int(v): return Int(v)
        default: return nil
        }
    }
    var doubleValue: Double? {
        switch self {
        case let .float(v): return v
        case let .uint(v): return Double(v)
        case let .int(v): return Double(v)
        default: return nil
        }
    }
    var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }
}

/// ggml tensor types this reader accepts.
enum GGMLType: UInt32 {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    static let supportedList = "F32 (0), F16 (1), Q4_0 (2), Q4_1 (3), Q5_0 (6), Q5_1 (7), Q8_0 (8), Q2_K (10), Q3_K (11), Q4_K (12), Q5_K (13), Q6_K (14), BF16 (30)"

    /// The name llama.cpp uses.
    var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        }
    }

    /// (elements per block, bytes per block)
    var block: (elements: Int, bytes: Int) {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q5_0: return (32, 22)
        case .q5_1: return (32, 24)
        case .q8_0: return (32, 34)
        case .q2_K: return (256, 84)
        case .q3_K: return (256, 110)
        case .q4_K: return (256, 144)
        case .q5_K: return (256, 176)
        case .q6_K: return (256, 210)
        }
    }
}

/// A GGUF file's header, metadata and tensor table.
final class GGUFFile: @unchecked Sendable {
    struct TensorInfo {
        let name: String
        /// ggml order: dims[0] is the innermost (contiguous) dimension.
        let dims: [Int]
        let type: GGMLType
        let offset: Int        // absolute byte offset in the file
        let byteCount: Int
    }

    let path: String
    let version: UInt32
    let metadata: [String: GGUFValue]
    let tensors: [TensorInfo]
    let file: MappedFile

    init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        var reader = ByteReader(bytes: file.bytes, path: path)
        let magic = try reader.read(UInt32.self, field: "magic")
        guard magic == 0x4655_4747 else {   // "GGUF" little-endian
            throw LoadError.malformed(path: path, field: "magic", reason: String(format: "expected 'GGUF', found 0x%08x", magic))
        }
        version = try reader.read(UInt32.self, field: "version")
        guard version == 2 || version == 3 else {
            throw LoadError.unsupported(path: path, field: "version", value: "\(version)", supported: "2, 3")
        }
        let tensorCount = try reader.count(field: "tensor_count")
        let kvCount = try reader.count(field: "metadata_kv_count")
        var metadata: [String: GGUFValue] = [:]
        for i in 0..<kvCount {
            let key = try reader.string(field: "metadata key #\(i)")
            let type = try reader.read(UInt32.self, field: "metadata '\(key)' type")
            let value = try reader.value(type: type, field: "metadata '\(key)'", depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw LoadError.malformed(path: path, field: "metadata '\(key)'", reason: "the key appears twice")
            }
        }
        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0 else {
                throw LoadError.malformed(path: path, field: "general.alignment", reason: "must be a power of two")
            }
            alignment = a
        }
        var infos: [(name: String, dims: [Int], type: GGMLType, relative: Int, bytes: Int)] = []
        var names = Set<String>()
        for i in 0..<tensorCount {
            let name = try reader.string(field: "tensor #\(i) name")
            guard names.insert(name).inserted else {
                throw LoadError.malformed(path: path, field: "tensor '\(name)'", reason: "the name appears twice")
            }
            let nDims = try reader.read(UInt32.self, field: "tensor '\(name)' n_dims")
            guard nDims >= 1, nDims <= 4 else {
                throw LoadError.malformed(path: path, field: "tensor '\(name)' n_dims", reason: "\(nDims), expected 1 to 4")
            }
            var dims: [Int] = []
            for _ in 0..<nDims { dims.append(try reader.count(field: "tensor '\(name)' dims")) }
            let rawType = try reader.read(UInt32.self, field: "tensor '\(name)' type")
            guard let type = GGMLType(rawValue: rawType) else {
                throw LoadError.unsupported(path: path, field: "tensor '\(name)' type", value: "\(rawType)", supported: GGMLType.supportedList)
            }
            let relative = try reader.count(field: "tensor '\(name)' offset")
            guard relative % alignment == 0 else {
                throw LoadError.malformed(path: path, field: "tensor '\(name)' offset", reason: "\(relative) is not a multiple of the alignment \(alignment)")
            }
            var elements = 1
            for d in dims {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o, p <= 1 << 40 else { throw LoadError.malformed(path: path, field: "tensor '\(name)' dims", reason: "\(dims) is too large") }
                elements = p
            }
            let block = type.block
            guard dims[0] % block.elements == 0 else {
                throw LoadError.malformed(path: path, field: "tensor '\(name)' dims", reason: "row length \(dims[0]) is not a multiple of the block size \(block.elements)")
            }
            infos.append((name, dims, type, relative, elements / block.elements * block.bytes))
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment
        var tensors: [TensorInfo] = []
        for info in infos {
            let (start, o1) = dataStart.addingReportingOverflow(info.relative)
            let (end, o2) = start.addingReportingOverflow(info.bytes)
            guard !o1, !o2, end <= file.bytes.count else {
                throw LoadError.malformed(path: path, field: "tensor '\(info.name)' offset",
                                          reason: "data [\(info.relative), +\(info.bytes)) runs past the end of the file (\(file.bytes.count) bytes)")
            }
            tensors.append(TensorInfo(name: info.name, dims: info.dims, type: info.type, offset: start, byteCount: info.bytes))
        }
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw LoadError.malformed(path: path, field: "tensor '\(b.name)' offset", reason: "overlaps tensor '\(a.name)'")
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    func bytes(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[tensor.offset..<(tensor.offset + tensor.byteCount)])
    }
}

/// A bounds-checked little-endian cursor over the file bytes.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0
    /// Elements read into metadata arrays so far, and the most a file may hold (a 262k-token vocabulary
    /// with scores, types and merges holds about 1M).
    var arrayElements = 0
    static let maximumArrayElements = 1 << 23

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, field: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset <= bytes.count - size else {
            throw LoadError.malformed(path: path, field: field, reason: "file ends at byte \(bytes.count), before the field")
        }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    /// A u64 count or size that must fit the file.
    mutating func count(field: String) throws -> Int {
        let value = try read(UInt64.self, field: field)
        guard value <= UInt64(Int32.max) * 1024 else {
            throw LoadError.malformed(path: path, field: field, reason: "value \(value) is implausibly large")
        }
        return Int(value)
    }

    mutating func string(field: String) throws -> String {
        let length = try read(UInt64.self, field: field + " length")
        guard length <= UInt64(bytes.count - offset) else {
            throw LoadError.malformed(path: path, field: field, reason: "string of \(length) bytes runs past the end of the file")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
        offset += Int(length)
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw LoadError.malformed(path: path, field: field, reason: "not valid UTF-8")
        }
        return s
    }

    mutating func value(type: UInt32, field: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try read(UInt8.self, field: field)))
        case 1: return .int(Int64(try read(Int8.self, field: field)))
        case 2: return .uint(UInt64(try read(UInt16.self, field: field)))
        case 3: return .int(Int64(try read(Int16.self, field: field)))
        case 4: return .uint(UInt64(try read(UInt32.self, field: field)))
        case 5: return .int(Int64(try read(Int32.self, field: field)))
        case 6: return .float(Double(Float(bitPattern: try read(UInt32.self, field: field))))
        case 7:
            let b = try read(UInt8.self, field: field)
            guard b <= 1 else { throw LoadError.malformed(path: path, field: field, reason: "bool byte \(b)") }
            return .bool(b == 1)
        case 8: return .string(try string(field: field))
        case 9:
            guard depth < 4 else { throw LoadError.malformed(path: path, field: field, reason: "arrays nested too deeply") }
            let elementType = try read(UInt32.self, field: field + " element type")
            let n = try count(field: field + " length")
            // each element takes at least this many bytes of the file: the count is checked against what
            // is there before anything is sized by it, and all arrays together hold a bounded number
            let minimumBytes: Int
            switch elementType {
            case 0, 1, 7: minimumBytes = 1
            case 2, 3: minimumBytes = 2
            case 4, 5, 6: minimumBytes = 4
            case 8, 10, 11, 12: minimumBytes = 8
            case 9: minimumBytes = 12
            default: throw LoadError.malformed(path: path, field: field, reason: "unknown array element type \(elementType)")
            }
            let (needed, overflow) = n.multipliedReportingOverflow(by: minimumBytes)
            guard !overflow, needed <= bytes.count - offset else {
                throw LoadError.malformed(path: path, field: field, reason: "array of \(n) elements runs past the end of the file")
            }
            arrayElements += n
            guard arrayElements <= Self.maximumArrayElements else {
                throw LoadError.malformed(path: path, field: field,
                                          reason: "metadata arrays hold more than \(Self.maximumArrayElements) elements in all")
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(type: elementType, field: field, depth: depth + 1)) }
            return .array(items)
        case 10: return .uint(try read(UInt64.self, field: field))
        case 11: return .int(try read(Int64.self, field: field))
        case 12: return .float(Double(bitPattern: try read(UInt64.self, field: field)))
        default:
            throw LoadError.malformed(path: path, field: field, reason: "unknown value type \(type)")
        }
    }
}
