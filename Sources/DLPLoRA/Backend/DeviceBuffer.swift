// DeviceBuffer.swift: one allocation on a backend (freed when released) and DeviceTensor, a typed view
// (dtype, shape, byte offset) into one.
import CKernels

/// Memory owned by a backend. Over host memory (an mmap'ed weight file) it keeps that memory alive.
public final class DeviceBuffer: @unchecked Sendable {
    let backend: KernelBackend
    let handle: OpaquePointer
    /// Size in bytes.
    public let bytes: Int
    let hostOwner: AnyObject?

    init(backend: KernelBackend, handle: OpaquePointer, bytes: Int, hostOwner: AnyObject?) {
        self.backend = backend
        self.handle = handle
        self.bytes = bytes
        self.hostOwner = hostOwner
    }

    deinit { backend.free(handle) }

    /// Device address of byte `offset`.
    func address(at offset: Int = 0) -> UnsafeMutableRawPointer? {
        backend.address(of: self).map { $0 + offset }
    }

    /// Copies `values` into the buffer at element offset `at` (elements of T).
    func upload<T>(_ values: [T], at elementOffset: Int = 0) throws {
        try values.withUnsafeBytes { try backend.upload($0, to: self, offset: elementOffset * MemoryLayout<T>.stride) }
    }

    /// Reads `count` elements of T starting at element offset `at`.
    func download<T: Numeric>(_ type: T.Type, count: Int, at elementOffset: Int = 0) throws -> [T] {
        var out = [T](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try backend.download(self, offset: elementOffset * MemoryLayout<T>.stride, into: $0) }
        return out
    }
}

/// A typed, shaped view into a DeviceBuffer: what the model passes to kernels.
public struct DeviceTensor: @unchecked Sendable {
    let buffer: DeviceBuffer
    let byteOffset: Int
    /// Element type.
    public let dtype: DType
    /// Shape, outermost first (a Linear weight is [out_features, in_features]).
    public let shape: [Int]

    init(buffer: DeviceBuffer, byteOffset: Int = 0, dtype: DType, shape: [Int]) {
        self.buffer = buffer
        self.byteOffset = byteOffset
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Bytes of the viewed elements (whole blocks for the block formats: the last dimension is a
    /// multiple of the block size, checked where the tensor is loaded).
    public var byteCount: Int { count / dtype.blockElements * dtype.blockBytes }

    /// Device address of the first element.
    var address: UnsafeMutableRawPointer? { buffer.address(at: byteOffset) }
    var floats: UnsafeMutablePointer<Float>? { address?.assumingMemoryBound(to: Float.self) }
    var int32s: UnsafeMutablePointer<Int32>? { address?.assumingMemoryBound(to: Int32.self) }

    /// The view of rows [start, start + rows) of a 2-D f32 tensor.
    func rows(_ start: Int, _ rows: Int) -> DeviceTensor {
        let width = shape.count > 1 ? shape[1] : 1
        return DeviceTensor(buffer: buffer, byteOffset: byteOffset + start * (width / dtype.blockElements) * dtype.blockBytes,
                            dtype: dtype, shape: [rows, width])
    }
}
