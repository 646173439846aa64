// RandomBlocks.swift: random tensors in the GGUF block formats, for synthetic models (`bench --dtype
// q4_k`) and kernel tests: random quant bytes with the block's f16 scales set so weights stay within
// about [-scale, scale], as a trained quantized matrix would.
import CKernels

enum RandomBlocks {
    /// The f16 scale fields of one block of dtype: (byte offset, value for a target magnitude `scale`).
    private static func scaleFields(_ dtype: DType, scale: Float) -> [(offset: Int, value: Float)] {
        switch dtype {
        case .q4_0: return [(0, scale / 8)]
        case .q4_1: return [(0, 2 * scale / 15), (2, -scale)]
        case .q5_0: return [(0, scale / 16)]
        case .q5_1: return [(0, 2 * scale / 31), (2, -scale)]
        case .q8_0: return [(0, scale / 127)]
        case .q2_K: return [(80, scale / 22.5), (82, scale / 15)]
        case .q3_K: return [(108, scale / 128)]
        case .q4_K: return [(0, 2 * scale / (63 * 15)), (2, scale / 63)]
        case .q5_K: return [(0, 2 * scale / (63 * 31)), (2, scale / 63)]
        case .q6_K: return [(208, scale / (128 * 32))]
        default: return []
        }
    }

    /// Random blocks holding `count` elements (a multiple of the block size) of a block format.
    static func bytes(_ dtype: DType, count: Int, scale: Float, generator: inout SeededGenerator) -> [UInt8] {
        let blocks = count / dtype.blockElements
        var out = [UInt8](repeating: 0, count: blocks * dtype.blockBytes)
        out.withUnsafeMutableBytes { bytes in                  // eight random bytes per draw
            for i in stride(from: 0, to: bytes.count, by: 8) {
                let word = generator.next()
                for j in 0..<min(8, bytes.count - i) { bytes[i + j] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(j))) }
            }
        }
        for b in 0..<blocks {
            for (offset, value) in scaleFields(dtype, scale: scale) {
                // a little spread per block, so blocks differ in scale as real ones do
                let bits = dlp_f32_to_f16(value * Float(0.5 + generator.nextUnit()))
                out[b * dtype.blockBytes + offset] = UInt8(bits & 0xff)
                out[b * dtype.blockBytes + offset + 1] = UInt8(bits >> 8)
            }
        }
        return out
    }
}
