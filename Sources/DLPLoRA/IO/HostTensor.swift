// HostTensor.swift: a named tensor in host memory as read from a weight file (in place in an mmap, or
// owned after a permutation or dequantization), and WeightStore, what a model loader reads tensors from.
import CKernels

/// The element type of a tensor in a file. Kernels read f32/f16/bf16 and the GGUF block formats; the
/// rest are for validation.
public enum StorageType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i8 = "I8", u8 = "U8", i16 = "I16", u16 = "U16", i32 = "I32", u32 = "U32", i64 = "I64", u64 = "U64"
    case bool = "BOOL"
    /// GGUF block formats (never in safetensors files).
    case q4_0 = "Q4_0", q4_1 = "Q4_1", q5_0 = "Q5_0", q5_1 = "Q5_1", q8_0 = "Q8_0"
    case q2_K = "Q2_K", q3_K = "Q3_K", q4_K = "Q4_K", q5_K = "Q5_K", q6_K = "Q6_K"

    /// Bytes per element, nil for the block formats (see DType.bytes(elements:)).
    var elementSize: Int? {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool: return 1
        default: return nil
        }
    }

    /// The kernel dtype, when kernels can read this type directly.
    var kernelType: DType? {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        default: return DType(rawValue: rawValue.lowercased())
        }
    }

    /// The storage type of a kernel dtype.
    init(_ dtype: DType) {
        self = StorageType(rawValue: dtype.plain.ggmlName) ?? .f32
    }
}

/// A tensor's bytes in host memory, kept alive by `owner`.
struct HostTensor: @unchecked Sendable {
    /// The file the tensor is stored in (for error messages).
    let file: String
    let name: String
    let type: StorageType
    let shape: [Int]
    let bytes: UnsafeRawBufferPointer
    let owner: AnyObject

    var count: Int { shape.reduce(1, *) }

    /// The values as f32 (a copy), for small tensors and tests.
    func floatValues() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        switch type {
        case .f32:
            out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(count * 4))) }
        case .f16, .bf16:
            for i in 0..<count {
                let raw = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                out[i] = type == .f16 ? Float(Float16(bitPattern: raw)) : Float(bitPattern: UInt32(raw) << 16)
            }
        case .i32:
            for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        default:
            if let dtype = type.kernelType, dtype.isQuantized { return dequantized().floatValues() }
        }
        return out
    }

    /// The bytes of this [rows, k] matrix of a plain block format in its row-interleaved copy `packed`
    /// (a copy the owner holds).
    func rowInterleaved(_ packed: DType) -> (bytes: UnsafeRawBufferPointer, owner: AnyObject)? {
        guard let dtype = type.kernelType, dtype.rowInterleaved == packed, shape.count == 2, let source = bytes.baseAddress
        else { return nil }
        let owned = OwnedBytes(count: bytes.count)
        guard let out = owned.pointer.baseAddress,
              dlp_pack_rows_x8(dtype.kernelType, Int64(shape[0]), Int64(shape[1]), source.assumingMemoryBound(to: UInt8.self),
                               out.assumingMemoryBound(to: UInt8.self)) == 0 else { return nil }
        return (owned.readOnly, owned)
    }

    /// A copy of the bytes in memory of its own (for small tensors that should not keep a mapped file's
    /// pages in use).
    func owned() -> HostTensor {
        let copy = OwnedBytes(count: bytes.count)
        if bytes.count > 0 { copy.pointer.copyMemory(from: bytes) }
        return HostTensor(file: file, name: name, type: type, shape: shape, bytes: copy.readOnly, owner: copy)
    }

    /// The tensor dequantized to f32 (a copy the result owns); self when it is no block format.
    func dequantized() -> HostTensor {
        guard let dtype = type.kernelType, dtype.isQuantized else { return self }
        let owned = OwnedBytes(count: count * 4)
        if let base = bytes.baseAddress, let out = owned.pointer.baseAddress {
            _ = dlp_dequantize_blocks(dtype.kernelType, base.assumingMemoryBound(to: UInt8.self),
                                      Int64(count / dtype.blockElements), out.assumingMemoryBound(to: Float.self))
        }
        return HostTensor(file: file, name: name, type: .f32, shape: shape, bytes: owned.readOnly, owner: owned)
    }

    func int32Values() -> [Int32] {
        guard type == .i32 else { return [] }
        return (0..<count).map { bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
    }
}

/// Memory that a dequantized or permuted tensor lives in.
final class OwnedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawBufferPointer
    init(count: Int) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0)
    }
    deinit { pointer.deallocate() }
    var readOnly: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer.baseAddress, count: pointer.count) }
}

/// Where a model's tensors come from: a safetensors file, a sharded set, or a GGUF file, all under
/// Hugging Face tensor names.
protocol WeightStore: AnyObject {
    /// The file (or folder) the tensors come from, for error messages.
    var path: String { get }
    /// Every tensor name available.
    var tensorNames: [String] { get }
    /// The tensor, or nil when the store has none of that name.
    func tensor(named name: String) throws -> HostTensor?
}
