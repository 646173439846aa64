// DType.swift: the element types weights and activations are kept in on a backend: f32, f16, bf16, the
// GGUF block formats that quantized weights stay in (weights and embedding tables only), and the CPU's
// row-interleaved copies of three of them (made at load, never read from or written to a file).
import CKernels

/// The element type of a tensor that kernels read directly.
public enum DType: String, Sendable, CaseIterable {
    case f32, f16, bf16
    case q4_0, q4_1, q5_0, q5_1, q8_0
    case q2_K = "q2_k", q3_K = "q3_k", q4_K = "q4_k", q5_K = "q5_k", q6_K = "q6_k"
    /// Q4_0, Q4_1 and Q8_0 in groups of 8 interleaved rows (dlp_kernels.h): the layout the CPU's integer
    /// kernels multiply 8 rows at a time from, the same bytes per row as the plain format.
    case q4_0x8 = "q4_0_x8", q4_1x8 = "q4_1_x8", q8_0x8 = "q8_0_x8"

    /// The float types: what activations, norms, biases and adapter banks may be.
    public static let floatTypes: [DType] = [.f32, .f16, .bf16]

    /// True for the GGUF block formats (plain or row-interleaved).
    public var isQuantized: Bool { !DType.floatTypes.contains(self) }

    /// True for the row-interleaved copies (q4_0x8, q4_1x8, q8_0x8).
    public var isRowInterleaved: Bool { dlp_dtype_is_row_interleaved(kernelType) != 0 }

    /// The format a row-interleaved dtype is a copy of; itself for every other.
    public var plain: DType {
        switch self {
        case .q4_0x8: return .q4_0
        case .q4_1x8: return .q4_1
        case .q8_0x8: return .q8_0
        default: return self
        }
    }

    /// The row-interleaved copy of this format, where it has one.
    public var rowInterleaved: DType? {
        switch self {
        case .q4_0: return .q4_0x8
        case .q4_1: return .q4_1x8
        case .q8_0: return .q8_0x8
        default: return nil
        }
    }

    /// The types a file can hold (every one but the row-interleaved copies).
    public static let fileTypes: [DType] = allCases.filter { !$0.isRowInterleaved }

    /// Elements per block (1 for the float types; 32, or 256 for the K-quants).
    public var blockElements: Int { Int(dlp_dtype_block_elements(kernelType)) }
    /// Bytes per block (the element size for the float types).
    public var blockBytes: Int { Int(dlp_dtype_block_bytes(kernelType)) }

    /// Bytes of `elements` values (a multiple of blockElements), or nil when they do not fill whole blocks.
    public func bytes(elements: Int) -> Int? {
        guard elements >= 0, elements % blockElements == 0 else { return nil }
        let (bytes, overflow) = (elements / blockElements).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// The type llama-quantize writes instead of a K-quant for rows that are not whole 256-element blocks
    /// (SmolLM2's 576-wide rows in a Q4_K_M file are Q5_0); Q2_K and Q3_K fall back to Q4_0 here (llama.cpp
    /// uses IQ4_NL, which this engine does not read). Itself for every other type.
    public var rowFallback: DType {
        switch self {
        case .q2_K, .q3_K: return .q4_0
        case .q4_K: return .q5_0
        case .q5_K: return .q5_1
        case .q6_K: return .q8_0
        default: return self
        }
    }

    /// The name llama.cpp and GGUF use ("F16", "Q4_K").
    public var ggmlName: String { rawValue.uppercased() }

    var kernelType: dlp_dtype {
        switch self {
        case .f32: return DLP_DTYPE_F32
        case .f16: return DLP_DTYPE_F16
        case .bf16: return DLP_DTYPE_BF16
        case .q4_0: return DLP_DTYPE_Q4_0
        case .q4_1: return DLP_DTYPE_Q4_1
        case .q5_0: return DLP_DTYPE_Q5_0
        case .q5_1: return DLP_DTYPE_Q5_1
        case .q8_0: return DLP_DTYPE_Q8_0
        case .q2_K: return DLP_DTYPE_Q2_K
        case .q3_K: return DLP_DTYPE_Q3_K
        case .q4_K: return DLP_DTYPE_Q4_K
        case .q5_K: return DLP_DTYPE_Q5_K
        case .q6_K: return DLP_DTYPE_Q6_K
        case .q4_0x8: return DLP_DTYPE_Q4_0_X8
        case .q4_1x8: return DLP_DTYPE_Q4_1_X8
        case .q8_0x8: return DLP_DTYPE_Q8_0_X8
        }
    }
}
