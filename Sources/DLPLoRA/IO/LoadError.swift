// LoadError.swift: the typed error every file reader throws. Each case names the file and the tensor or
// field at fault and what was expected, so a user can fix the input without reading our code.
/// A model, tokenizer or adapter file could not be loaded.
public enum LoadError: Error, CustomStringConvertible, Equatable {
    /// The path does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The file's structure is broken (truncated, bad header, bad JSON, offsets out of range).
    case malformed(path: String, field: String, reason: String)
    /// The file is well-formed but uses something we do not support; `supported` lists what we do.
    case unsupported(path: String, field: String, value: String, supported: String)
    /// A tensor the model needs is absent.
    case missingTensor(path: String, tensor: String)
    /// A tensor has the wrong shape or dtype.
    case tensorMismatch(path: String, tensor: String, expected: String, found: String)
    /// A required configuration field is absent or invalid.
    case invalidConfig(path: String, field: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason)"
        case let .malformed(path, field, reason):
            return "\(path): \(field): \(reason)"
        case let .unsupported(path, field, value, supported):
            return "\(path): \(field) '\(value)' is not supported (supported: \(supported))"
        case let .missingTensor(path, tensor):
            return "\(path): tensor '\(tensor)' is missing"
        case let .tensorMismatch(path, tensor, expected, found):
            return "\(path): tensor '\(tensor)' expects \(expected), file has \(found)"
        case let .invalidConfig(path, field, reason):
            return "\(path): field '\(field)': \(reason)"
        }
    }
}
