// SyntheticModel.swift: models with random weights and the shape of a real one (SmolLM2-135M, Qwen2-0.5B,
// Qwen2-1.5B, Llama-3-8B), in a chosen dtype, for benchmarks that should not need a download; and random
// LoRA adapters for them.
import CKernels
import Foundation

/// A named real model shape.
public enum ModelShape: String, CaseIterable, Sendable {
    case smollm2_135m = "smollm2-135m", qwen2_05b = "qwen2-0.5b", qwen2_15b = "qwen2-1.5b", llama3_8b = "llama3-8b"

    /// The config.json of the real model (the fields the engine uses).
    public var config: ModelConfig {
        func make(_ type: String, _ hidden: Int, _ inter: Int, _ layers: Int, _ heads: Int, _ kv: Int, _ vocab: Int, _ theta: Double, tied: Bool) -> ModelConfig {
            ModelConfig(modelType: type, hiddenSize: hidden, intermediateSize: inter, numHiddenLayers: layers, numAttentionHeads: heads,
                        numKeyValueHeads: kv, headDim: nil, vocabSize: vocab, rmsNormEps: 1e-5, ropeTheta: theta, ropeScaling: nil,
                        maxPositionEmbeddings: 8192, tieWordEmbeddings: tied, attentionBias: nil, mlpBias: nil, hiddenAct: "silu",
                        slidingWindow: nil, useSlidingWindow: nil, bosTokenId: nil, eosTokenId: nil, torchDtype: nil)
        }
        switch self {
        case .smollm2_135m: return make("llama", 576, 1536, 30, 9, 3, 49152, 100000, tied: true)
        case .qwen2_05b: return make("qwen2", 896, 4864, 24, 14, 2, 151936, 1_000_000, tied: true)
        case .qwen2_15b: return make("qwen2", 1536, 8960, 28, 12, 2, 151936, 1_000_000, tied: true)
        case .llama3_8b: return make("llama", 4096, 14336, 32, 32, 8, 128256, 500000, tied: false)
        }
    }
}

/// Tensors generated in memory, as a WeightStore.
final class MemoryWeightStore: WeightStore, @unchecked Sendable {
    let path: String
    private var tensors: [String: HostTensor] = [:]

    init(path: String) { self.path = path }

    var tensorNames: [String] { tensors.keys.sorted() }
    func tensor(named name: String) throws -> HostTensor? { tensors[name] }

    /// Adds a tensor of uniform random values in [-scale, scale) (norm weights: around 1); in a block
    /// format, random blocks of about that magnitude (RandomBlocks), in llama-quantize's fallback type
    /// when the rows are not whole blocks of it.
    func addRandom(_ name: String, shape: [Int], dtype requested: DType, scale: Float, offset: Float, generator: inout SeededGenerator) {
        let count = shape.reduce(1, *)
        let dtype = (shape.last ?? 0) % requested.blockElements == 0 ? requested : requested.rowFallback
        if dtype.isQuantized {
            let blocks = RandomBlocks.bytes(dtype, count: count, scale: scale, generator: &generator)
            let owned = OwnedBytes(count: blocks.count)
            blocks.withUnsafeBytes { owned.pointer.copyMemory(from: $0) }
            tensors[name] = HostTensor(file: path, name: name, type: StorageType(dtype), shape: shape, bytes: owned.readOnly, owner: owned)
            return
        }
        let owned = OwnedBytes(count: count * (dtype == .f32 ? 4 : 2))
        let base = owned.pointer.baseAddress!
        for i in 0..<count {
            let v = offset + Float(generator.nextUnit() * 2 - 1) * scale
            switch dtype {
            case .f16: base.storeBytes(of: dlp_f32_to_f16(v), toByteOffset: 2 * i, as: UInt16.self)
            case .bf16: base.storeBytes(of: dlp_f32_to_bf16(v), toByteOffset: 2 * i, as: UInt16.self)
            default: base.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self)
            }
        }
        tensors[name] = HostTensor(file: path, name: name, type: StorageType(dtype), shape: shape, bytes: owned.readOnly, owner: owned)
    }
}

extension TransformerModel {
    /// A model of `shape` with random weights in `dtype` (the same seed gives the same weights). With a
    /// block format the matrices are random blocks of it and the vectors (norms, biases) f32, as in a
    /// quantized GGUF file.
    public static func synthetic(shape: ModelShape, dtype: DType, seed: UInt64 = 1, backend: KernelBackend) throws -> TransformerModel {
        let vectorDtype = dtype.isQuantized ? DType.f32 : dtype
        let config = shape.config
        let architecture = try ModelFamilies.architecture(for: config, path: "synthetic \(shape.rawValue)")
        let store = MemoryWeightStore(path: "synthetic \(shape.rawValue) (\(dtype.rawValue))")
        var generator = SeededGenerator(seed: seed)
        let h = config.hiddenSize, f = config.intermediateSize, q = config.numAttentionHeads * config.headDimension
        let kv = config.kvHeads * config.headDimension
        let scale = 1 / Float(h).squareRoot()
        store.addRandom("model.embed_tokens.weight", shape: [config.vocabSize, h], dtype: dtype, scale: 0.05, offset: 0, generator: &generator)
        store.addRandom("model.norm.weight", shape: [h], dtype: vectorDtype, scale: 0.1, offset: 1, generator: &generator)
        if config.tieWordEmbeddings != true {
            store.addRandom("lm_head.weight", shape: [config.vocabSize, h], dtype: dtype, scale: scale, offset: 0, generator: &generator)
        }
        for layer in 0..<config.numHiddenLayers {
            let p = "model.layers.\(layer)."
            store.addRandom(p + "input_layernorm.weight", shape: [h], dtype: vectorDtype, scale: 0.1, offset: 1, generator: &generator)
            store.addRandom(p + "post_attention_layernorm.weight", shape: [h], dtype: vectorDtype, scale: 0.1, offset: 1, generator: &generator)
            for (name, shape) in [("self_attn.q_proj", [q, h]), ("self_attn.k_proj", [kv, h]), ("self_attn.v_proj", [kv, h]),
                                  ("self_attn.o_proj", [h, q]), ("mlp.gate_proj", [f, h]), ("mlp.up_proj", [f, h]), ("mlp.down_proj", [h, f])] {
                store.addRandom(p + name + ".weight", shape: shape, dtype: dtype, scale: scale, offset: 0, generator: &generator)
            }
            if architecture.qkvBias {
                for (name, n) in [("q_proj", q), ("k_proj", kv), ("v_proj", kv)] {
                    store.addRandom(p + "self_attn.\(name).bias", shape: [n], dtype: vectorDtype, scale: 0.02, offset: 0, generator: &generator)
                }
            }
        }
        let weights = try ModelWeights(store: store, config: config, architecture: architecture, backend: backend)
        return try TransformerModel(config: config, architecture: architecture, weights: weights, ropeFactors: nil, backend: backend)
    }
}

extension LoRAAdapter {
    /// A random adapter of rank `rank` on `projections` of every layer of a model with `config`.
    public static func random(name: String, config: ModelConfig, rank: Int, projections: [Projection], seed: UInt64) throws -> LoRAAdapter {
        var generator = SeededGenerator(seed: seed)
        var weights: [Int: [Projection: (a: [Float], b: [Float])]] = [:]
        for layer in 0..<config.numHiddenLayers {
            for p in projections {
                let (dIn, dOut) = p.dimensions(config)
                let a = (0..<(rank * dIn)).map { _ in Float(generator.nextUnit() * 2 - 1) / Float(dIn).squareRoot() }
                let b = (0..<(dOut * rank)).map { _ in Float(generator.nextUnit() * 2 - 1) * 0.01 }
                weights[layer, default: [:]][p] = (a, b)
            }
        }
        return try LoRAAdapter(name: name, baseConfig: config, rank: rank, alpha: Double(2 * rank), weights: weights)
    }
}
