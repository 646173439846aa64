// Projection.swift: the seven linear projections of a decoder layer that adapters can target, with their
// Hugging Face module names and their shapes under a config.

/// A linear layer inside a decoder block.
public enum Projection: String, CaseIterable, Sendable, Codable {
    case qProj = "q_proj", kProj = "k_proj", vProj = "v_proj", oProj = "o_proj"
    case gateProj = "gate_proj", upProj = "up_proj", downProj = "down_proj"

    /// The position in allCases (indexes per-layer tables).
    var index: Int {
        switch self {
        case .qProj: return 0
        case .kProj: return 1
        case .vProj: return 2
        case .oProj: return 3
        case .gateProj: return 4
        case .upProj: return 5
        case .downProj: return 6
        }
    }

    /// "self_attn" or "mlp".
    var block: String {
        switch self {
        case .qProj, .kProj, .vProj, .oProj: return "self_attn"
        default: return "mlp"
        }
    }

    /// The module's name in the base model, e.g. "model.layers.3.self_attn.q_proj".
    func moduleName(layer: Int) -> String { "model.layers.\(layer).\(block).\(rawValue)" }

    /// (in_features, out_features) under `config`.
    func dimensions(_ config: ModelConfig) -> (dIn: Int, dOut: Int) {
        let q = config.numAttentionHeads * config.headDimension, kv = config.kvHeads * config.headDimension
        switch self {
        case .qProj: return (config.hiddenSize, q)
        case .kProj, .vProj: return (config.hiddenSize, kv)
        case .oProj: return (q, config.hiddenSize)
        case .gateProj, .upProj: return (config.hiddenSize, config.intermediateSize)
        case .downProj: return (config.intermediateSize, config.hiddenSize)
        }
    }

    /// The layer's weight of this projection.
    var weightPath: WritableKeyPath<DecoderLayerWeights, DeviceTensor> {
        switch self {
        case .qProj: return \.qProj
        case .kProj: return \.kProj
        case .vProj: return \.vProj
        case .oProj: return \.oProj
        case .gateProj: return \.gateProj
        case .upProj: return \.upProj
        case .downProj: return \.downProj
        }
    }
}
