// DType.swift: the element types weights and activations are kept in on a backend (f32, f16, bf16).
import CKernels

/// The element type of a tensor that kernels read directly.
public enum DType: String, Sendable, CaseIterable {
    case f32, f16, bf16

    /// Bytes per element.
    public var size: Int { self == .f32 ? 4 : 2 }

    var kernelType: dlp_dtype {
        switch self {
        case .f32: return DLP_DTYPE_F32
        case .f16: return DLP_DTYPE_F16
        case .bf16: return DLP_DTYPE_BF16
        }
    }
}
