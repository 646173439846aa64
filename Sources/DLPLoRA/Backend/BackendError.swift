// BackendError.swift: errors from a kernel backend (a failed op, a missing plugin, a wrong API version).
import CKernels

/// A kernel backend could not be created or an operation on it failed.
public enum BackendError: Error, CustomStringConvertible, Equatable {
    /// An op returned a non-zero status; `message` is the backend's last-error text.
    case operationFailed(backend: String, operation: String, status: Int32, message: String)
    /// The backend table is missing an entry point.
    case missingEntryPoint(backend: String, name: String)
    /// No usable backend of the requested kind; `reason` says what is missing.
    case unavailable(device: String, reason: String)
    /// No CUDA kernel plugin file at any of the places looked at.
    case pluginNotFound(searched: [String])

    public var description: String {
        switch self {
        case let .operationFailed(backend, operation, status, message):
            return "\(backend) backend: \(operation) failed (\(BackendError.statusName(status))): \(message)"
        case let .missingEntryPoint(backend, name):
            return "\(backend) backend: the kernel table has no '\(name)' entry"
        case let .unavailable(device, reason):
            return "device '\(device)' is not usable: \(reason)"
        case let .pluginNotFound(searched):
            return "device 'cuda' is not usable: no CUDA kernel plugin libdlp_cuda.so (looked at \(searched.joined(separator: ", "))); set DLP_CUDA_LIBRARY to one"
        }
    }

    static func statusName(_ status: Int32) -> String {
        switch status {
        case Int32(DLP_STATUS_INVALID_ARGUMENT.rawValue): return "invalid argument"
        case Int32(DLP_STATUS_OUT_OF_MEMORY.rawValue): return "out of memory"
        case Int32(DLP_STATUS_DEVICE_ERROR.rawValue): return "device error"
        case Int32(DLP_STATUS_UNSUPPORTED.rawValue): return "unsupported"
        default: return "status \(status)"
        }
    }
}
