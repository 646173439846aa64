// ModelConfig.swift: a Hugging Face config.json (Codable, explicit keys), and its validation. Fields a
// family does not use are optional; derived values (head_dim, kv heads) have accessors.
import Foundation

/// `rope_scaling` of config.json.
public struct RopeScaling: Codable, Sendable, Equatable {
    /// "default", "linear" or "llama3" (`rope_type`, or the older `type`).
    public var ropeType: String
    public var factor: Double?
    public var lowFrequencyFactor: Double?
    public var highFrequencyFactor: Double?
    public var originalMaxPositionEmbeddings: Int?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, factor
        case lowFrequencyFactor = "low_freq_factor", highFrequencyFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    public init(ropeType: String, factor: Double? = nil, lowFrequencyFactor: Double? = nil,
                highFrequencyFactor: Double? = nil, originalMaxPositionEmbeddings: Int? = nil) {
        self.ropeType = ropeType
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ropeType = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type) ?? "default"
        factor = try c.decodeIfPresent(Double.self, forKey: .factor)
        lowFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .lowFrequencyFactor)
        highFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .highFrequencyFactor)
        originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ropeType, forKey: .ropeType)
        try c.encodeIfPresent(factor, forKey: .factor)
        try c.encodeIfPresent(lowFrequencyFactor, forKey: .lowFrequencyFactor)
        try c.encodeIfPresent(highFrequencyFactor, forKey: .highFrequencyFactor)
        try c.encodeIfPresent(originalMaxPositionEmbeddings, forKey: .originalMaxPositionEmbeddings)
    }
}

/// One token id or a list of them (`eos_token_id` is either in the wild).
public struct TokenIDList: Codable, Sendable, Equatable {
    public var ids: [Int]
    public init(_ ids: [Int]) { self.ids = ids }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(Int.self) { ids = [one] } else { ids = try c.decode([Int].self) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(ids)
    }
}

/// The fields of a Hugging Face config.json that the supported families use.
public struct ModelConfig: Codable, Sendable, Equatable {
    public var modelType: String
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int?
    public var headDim: Int?
    public var vocabSize: Int
    public var rmsNormEps: Double
    public var ropeTheta: Double?
    public var ropeScaling: RopeScaling?
    public var maxPositionEmbeddings: Int?
    public var tieWordEmbeddings: Bool?
    public var attentionBias: Bool?
    public var mlpBias: Bool?
    public var hiddenAct: String?
    public var slidingWindow: Int?
    public var useSlidingWindow: Bool?
    public var bosTokenId: TokenIDList?
    public var eosTokenId: TokenIDList?
    public var torchDtype: String?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim", vocabSize = "vocab_size"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias", hiddenAct = "hidden_act"
        case slidingWindow = "sliding_window", useSlidingWindow = "use_sliding_window"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", torchDtype = "torch_dtype"
    }

    /// Key/value heads (defaults to the attention heads).
    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    /// Per-head width (defaults to hidden_size / heads).
    public var headDimension: Int { headDim ?? hiddenSize / max(numAttentionHeads, 1) }

    /// Reads and validates `config.json`.
    public static func load(path: String) throws -> ModelConfig {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError.cannotOpen(path: path, reason: error.localizedDescription)
        }
        let config: ModelConfig
        do {
            config = try JSONDecoder().decode(ModelConfig.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw LoadError.invalidConfig(path: path, field: key.stringValue, reason: "required field is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw LoadError.invalidConfig(path: path, field: field, reason: context.debugDescription)
        } catch {
            throw LoadError.malformed(path: path, field: "config", reason: "not valid JSON for a model config (\(error))")
        }
        try config.validate(path: path)
        return config
    }

    /// Checks sizes and values that the model code relies on; `name` maps a config.json field to the
    /// name the file uses for it (GGUF keys), for the error message.
    public func validate(path: String, name: (String) -> String = { $0 }) throws {
        func positive(_ value: Int?, _ field: String) throws {
            guard let value, value > 0 else {
                throw LoadError.invalidConfig(path: path, field: field, reason: "must be a positive integer, found \(value.map(String.init) ?? "nothing")")
            }
        }
        try positive(hiddenSize, name("hidden_size"))
        try positive(intermediateSize, name("intermediate_size"))
        try positive(numHiddenLayers, name("num_hidden_layers"))
        try positive(numAttentionHeads, name("num_attention_heads"))
        try positive(kvHeads, name("num_key_value_heads"))
        try positive(vocabSize, name("vocab_size"))
        try positive(headDimension, name("head_dim"))
        // caps far above any released model, so no size computed from them can overflow or exhaust memory
        func atMost(_ value: Int, _ cap: Int, _ field: String) throws {
            guard value <= cap else {
                throw LoadError.invalidConfig(path: path, field: field, reason: "\(value) is above the supported maximum \(cap)")
            }
        }
        try atMost(hiddenSize, 1 << 17, name("hidden_size"))
        try atMost(intermediateSize, 1 << 19, name("intermediate_size"))
        try atMost(numHiddenLayers, 1 << 12, name("num_hidden_layers"))
        try atMost(numAttentionHeads, 1 << 12, name("num_attention_heads"))
        try atMost(vocabSize, 1 << 24, name("vocab_size"))
        if let maxPositionEmbeddings { try positive(maxPositionEmbeddings, name("max_position_embeddings")) }
        if let slidingWindow, slidingWindow < 0 {     // 0: no window (Phi-4's GGUF, Qwen2 MoE configs)
            throw LoadError.invalidConfig(path: path, field: name("sliding_window"), reason: "must be 0 (no window) or positive, found \(slidingWindow)")
        }
        guard numAttentionHeads % kvHeads == 0 else {
            throw LoadError.invalidConfig(path: path, field: name("num_key_value_heads"),
                                          reason: "\(kvHeads) does not divide num_attention_heads \(numAttentionHeads)")
        }
        guard headDim != nil || hiddenSize % numAttentionHeads == 0 else {
            throw LoadError.invalidConfig(path: path, field: name("num_attention_heads"),
                                          reason: "\(numAttentionHeads) does not divide hidden_size \(hiddenSize) and head_dim is not given")
        }
        guard headDimension % 2 == 0, headDimension <= 512 else {
            throw LoadError.invalidConfig(path: path, field: name("head_dim"), reason: "\(headDimension) must be even and at most 512")
        }
        guard rmsNormEps.isFinite, rmsNormEps > 0, rmsNormEps < 1, Float(rmsNormEps) > 0 else {
            throw LoadError.invalidConfig(path: path, field: name("rms_norm_eps"), reason: "must be a finite number in (0, 1), found \(rmsNormEps)")
        }
        if let ropeTheta, !(ropeTheta.isFinite && ropeTheta > 1 && Float(ropeTheta).isFinite) {
            throw LoadError.invalidConfig(path: path, field: name("rope_theta"), reason: "must be a finite number above 1, found \(ropeTheta)")
        }
        for (ids, field) in [(bosTokenId, name("bos_token_id")), (eosTokenId, name("eos_token_id"))] {
            if let bad = ids?.ids.first(where: { $0 < 0 || $0 >= vocabSize }) {
                throw LoadError.invalidConfig(path: path, field: field, reason: "id \(bad) is outside the vocabulary (0..<\(vocabSize))")
            }
        }
        if let act = hiddenAct, act != "silu", act != "swish" {
            throw LoadError.unsupported(path: path, field: name("hidden_act"), value: act, supported: "silu")
        }
        if let scaling = ropeScaling {
            switch scaling.ropeType {
            case "default":
                break
            case "linear":
                guard let f = scaling.factor, f.isFinite, f > 0 else {
                    throw LoadError.invalidConfig(path: path, field: name("rope_scaling.factor"), reason: "linear scaling needs a positive factor")
                }
            case "llama3":
                guard let f = scaling.factor, f.isFinite, f > 0, let low = scaling.lowFrequencyFactor, let high = scaling.highFrequencyFactor,
                      low.isFinite, high.isFinite, low > 0, high > low, let original = scaling.originalMaxPositionEmbeddings, original > 0 else {
                    throw LoadError.invalidConfig(path: path, field: name("rope_scaling"),
                                                  reason: "llama3 scaling needs factor, low_freq_factor < high_freq_factor and original_max_position_embeddings")
                }
            default:
                throw LoadError.unsupported(path: path, field: name("rope_scaling.rope_type"), value: scaling.ropeType,
                                            supported: "default, linear, llama3")
            }
        }
    }
}
