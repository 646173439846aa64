// Architecture.swift: what distinguishes one decoder family from another, reduced to a few switches that
// the shared transformer blocks read (biases, sliding window, q/k permutation in GGUF files), and the
// registry of supported families.

/// The per-family choices the shared decoder blocks need.
public struct Architecture: Sendable, Equatable {
    /// Family name, the config's `model_type`.
    public var family: String
    /// q_proj/k_proj/v_proj carry a bias.
    public var qkvBias: Bool
    /// o_proj carries a bias.
    public var outputBias: Bool
    /// gate/up/down projections carry a bias.
    public var mlpBias: Bool
    /// Attention sees only this many most recent positions (nil: all).
    public var slidingWindow: Int?
    /// llama.cpp's converter permutes q/k rows for this family's GGUF files.
    public var ggufPermutesQK: Bool
}

/// One supported model family: maps a config to its Architecture.
protocol ModelFamily {
    /// The `model_type` of config.json (and `general.architecture` of GGUF files).
    static var modelType: String { get }
    static func architecture(for config: ModelConfig) -> Architecture
}

enum ModelFamilies {
    static let all: [ModelFamily.Type] = [LlamaFamily.self, Qwen2Family.self, MistralFamily.self]

    static var supportedList: String { all.map { $0.modelType }.joined(separator: ", ") }

    static func architecture(for config: ModelConfig, path: String) throws -> Architecture {
        guard let family = all.first(where: { $0.modelType == config.modelType }) else {
            throw LoadError.unsupported(path: path, field: "model_type", value: config.modelType, supported: supportedList)
        }
        return family.architecture(for: config)
    }
}
