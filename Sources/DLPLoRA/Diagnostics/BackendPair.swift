// BackendPair.swift: the self test's two backends (the one under test and the reference), seeded random
// inputs uploaded identically to both, and the comparison of an output tensor between them.
import CKernels
import Foundation

final class BackendPair {
    let target: KernelBackend
    let reference: KernelBackend
    private var random: SeededGenerator

    init(target: KernelBackend, reference: KernelBackend, seed: UInt64) {
        self.target = target
        self.reference = reference
        random = SeededGenerator(seed: seed)
    }

    /// n uniform values in [-scale, scale).
    func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float(random.nextUnit() * 2 - 1) * scale }
    }

    /// n uniform integers in range.
    func ints(_ n: Int, in range: Range<Int32>) -> [Int32] {
        (0..<n).map { _ in range.lowerBound + Int32(random.nextUnit() * Double(range.count)) }
    }

    /// A uniform in [0, 1).
    func unit() -> Float { min(Float(random.nextUnit()), 0x1.fffffep-1) }

    /// The same values on both backends, stored as dtype (f16/bf16 rounded once, so both read equal bits).
    func upload(_ values: [Float], dtype: DType = .f32, shape: [Int]) throws -> (DeviceTensor, DeviceTensor) {
        func make(_ backend: KernelBackend) throws -> DeviceTensor {
            switch dtype {
            case .f16:
                let buffer = try backend.allocate(bytes: values.count * 2)
                try buffer.upload(values.map { dlp_f32_to_f16($0) })
                return DeviceTensor(buffer: buffer, dtype: dtype, shape: shape)
            case .bf16:
                let buffer = try backend.allocate(bytes: values.count * 2)
                try buffer.upload(values.map { dlp_f32_to_bf16($0) })
                return DeviceTensor(buffer: buffer, dtype: dtype, shape: shape)
            default:
                let buffer = try backend.allocate(bytes: values.count * 4)
                try buffer.upload(values)
                return DeviceTensor(buffer: buffer, dtype: .f32, shape: shape)
            }
        }
        return (try make(target), try make(reference))
    }

    /// Random weights [rows, cols] in a block format. The target gets the blocks. The reference gets the
    /// same blocks when the target is the CPU (both then round activations to 8 bits, and the reference
    /// is the scalar integer code), else their exact f32 dequantization (what a device that dequantizes
    /// inside its kernels, as CUDA does, must reproduce).
    /// A row-interleaved dtype: the target gets the packed copy, the reference the plain blocks.
    func upload(blocksOf dtype: DType, rows: Int, cols: Int) throws -> (DeviceTensor, DeviceTensor) {
        let blocks = RandomBlocks.bytes(dtype.plain, count: rows * cols, scale: 0.2, generator: &random)
        func make(_ backend: KernelBackend, _ bytes: [UInt8], _ dtype: DType) throws -> DeviceTensor {
            let buffer = try backend.allocate(bytes: bytes.count)
            try buffer.upload(bytes)
            return DeviceTensor(buffer: buffer, dtype: dtype, shape: [rows, cols])
        }
        var targetBlocks = blocks
        if dtype.isRowInterleaved {
            let packed = targetBlocks.withUnsafeMutableBufferPointer { out in
                blocks.withUnsafeBufferPointer { dlp_pack_rows_x8(dtype.plain.kernelType, Int64(rows), Int64(cols), $0.baseAddress!, out.baseAddress!) }
            }
            guard packed == 0 else {
                throw BackendError.operationFailed(backend: target.name, operation: "dlp_pack_rows_x8", status: -1,
                                                   message: "\(dtype.rawValue) [\(rows), \(cols)] has no row-interleaved form")
            }
        }
        let target = try make(self.target, targetBlocks, dtype)
        guard self.target.name != "cpu" else { return (target, try make(reference, blocks, dtype.plain)) }
        var values = [Float](repeating: 0, count: rows * cols)
        blocks.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer {
                _ = dlp_dequantize_blocks(dtype.plain.kernelType, src.baseAddress!, Int64(rows * cols / dtype.blockElements), $0.baseAddress!)
            }
        }
        return (target, try make(reference, values.withUnsafeBytes { Array($0) }, .f32))
    }

    /// The same int32 values on both backends.
    func upload(ints values: [Int32], shape: [Int]) throws -> (DeviceTensor, DeviceTensor) {
        func make(_ backend: KernelBackend) throws -> DeviceTensor {
            let buffer = try backend.allocate(bytes: max(values.count, 1) * 4)
            try buffer.upload(values)
            return DeviceTensor(buffer: buffer, dtype: .f32, shape: shape)
        }
        return (try make(target), try make(reference))
    }

    /// Runs `op` on both backends with their halves of the inputs.
    func both(_ op: (KernelBackend, Side) throws -> Void) throws {
        try op(target, .target)
        try op(reference, .reference)
    }

    enum Side { case target, reference }

    /// max |t - r| / max(1, max |r|) over the first `count` floats of the two tensors.
    func relativeError(_ outputs: (DeviceTensor, DeviceTensor), count: Int) throws -> Double {
        let t = try outputs.0.buffer.download(Float.self, count: count, at: outputs.0.byteOffset / 4)
        let r = try outputs.1.buffer.download(Float.self, count: count, at: outputs.1.byteOffset / 4)
        return BackendPair.relativeError(t, r)
    }

    static func relativeError(_ t: [Float], _ r: [Float]) -> Double {
        var worst = 0.0, scale = 1.0
        for (a, b) in zip(t, r) {
            if a.isNaN != b.isNaN { return .infinity }
            worst = max(worst, Double(abs(a - b)))
            scale = max(scale, Double(abs(b)))
        }
        return worst / scale
    }

    /// Number of positions where the int32 outputs differ.
    func mismatches(_ outputs: (DeviceTensor, DeviceTensor), count: Int) throws -> Double {
        let t = try outputs.0.buffer.download(Int32.self, count: count)
        let r = try outputs.1.buffer.download(Int32.self, count: count)
        return Double(zip(t, r).filter { $0 != $1 }.count)
    }
}
