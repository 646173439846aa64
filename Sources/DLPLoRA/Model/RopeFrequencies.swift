// RopeFrequencies.swift: the rotary inverse frequencies [head_dim / 2] for every supported rope scaling
// (default, linear, llama3), computed on the host like transformers' _compute_*_parameters, and handed
// to the rope kernel (which is therefore the same for every scaling).
import Foundation

enum RopeFrequencies {
    /// inv_freq[j] = 1 / theta^(2j / dim), then scaled. `factors` (GGUF rope_freqs) divide the result.
    static func inverseFrequencies(config: ModelConfig, factors: [Float]? = nil) -> [Float] {
        let dim = config.headDimension
        let theta = config.ropeTheta ?? 10000.0
        // transformers computes in float32: 1.0 / (base ** (arange(0, dim, 2).float() / dim))
        var inv: [Float] = (0..<(dim / 2)).map { j in
            Float(1.0) / Float(pow(theta, Double(Float(2 * j) / Float(dim))))
        }
        if let scaling = config.ropeScaling {
            switch scaling.ropeType {
            case "linear":
                let factor = Float(scaling.factor ?? 1)
                inv = inv.map { $0 / factor }
            case "llama3":
                inv = llama3(inv, scaling)
            default:
                break
            }
        }
        if let factors, factors.count == inv.count {
            inv = zip(inv, factors).map { $0 / $1 }
        }
        return inv
    }

    /// Llama 3.1's frequency-dependent scaling (transformers' _compute_llama3_parameters).
    private static func llama3(_ inv: [Float], _ s: RopeScaling) -> [Float] {
        let factor = Float(s.factor ?? 8), low = Float(s.lowFrequencyFactor ?? 1), high = Float(s.highFrequencyFactor ?? 4)
        let original = Float(s.originalMaxPositionEmbeddings ?? 8192)
        let lowWavelen = original / low, highWavelen = original / high
        return inv.map { f in
            let wavelen = 2 * Float.pi / f
            if wavelen < highWavelen { return f }
            if wavelen > lowWavelen { return f / factor }
            let smooth = (original / wavelen - low) / (high - low)
            return (1 - smooth) * f / factor + smooth * f
        }
    }
}
