// ModelWeights.swift: the tensors of a decoder model on a backend, under their Hugging Face names, each
// checked for presence, dtype and shape against the config before it is wrapped (in place on CPU).
// Matrices in a GGUF block format stay in it where the backend's weight_dtypes has it (the CPU and
// CUDA tables both do); otherwise, with `dequantize`, and for vectors (norms, biases), they are
// dequantized to f32 at load. On a backend with row-interleaved kernels (the CPU on x86 with AVX2), Q4_0, Q4_1
// and Q8_0 matrices are kept as their row-interleaved copies (DType.rowInterleaved).

/// One loaded tensor as `inspect` shows it: the type in the file, the dtype it is kept in, its bytes.
public struct LoadedTensor: Sendable {
    public let name: String
    public let fileType: String
    public let dtype: DType
    public let shape: [Int]
    /// Bytes the kept tensor occupies (in place in the mapped file, or a copy).
    public let bytes: Int
}

/// One decoder layer's weights. Linear weights are [out_features, in_features].
struct DecoderLayerWeights {
    let inputNorm: DeviceTensor          // [hidden]
    var qProj: DeviceTensor              // [heads * head_dim, hidden]
    var kProj: DeviceTensor              // [kv_heads * head_dim, hidden]
    var vProj: DeviceTensor              // [kv_heads * head_dim, hidden]
    var oProj: DeviceTensor              // [hidden, heads * head_dim]
    let qBias: DeviceTensor?, kBias: DeviceTensor?, vBias: DeviceTensor?, oBias: DeviceTensor?
    let postAttentionNorm: DeviceTensor  // [hidden]
    var gateProj: DeviceTensor           // [intermediate, hidden]
    var upProj: DeviceTensor             // [intermediate, hidden]
    var downProj: DeviceTensor           // [hidden, intermediate]
    let gateBias: DeviceTensor?, upBias: DeviceTensor?, downBias: DeviceTensor?
}

struct ModelWeights {
    let embedTokens: DeviceTensor        // [vocab, hidden]
    var layers: [DecoderLayerWeights]
    let norm: DeviceTensor               // [hidden]
    let lmHead: DeviceTensor             // [vocab, hidden] (the embedding when tied)
    /// Bytes of weights by dtype, for `inspect`: of the tensors held now (a merge replaces projections).
    var bytesByType: [DType: Int] {
        var tensors = [embedTokens, norm] + layers.flatMap { layer in
            [layer.inputNorm, layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.postAttentionNorm, layer.gateProj,
             layer.upProj, layer.downProj] + [layer.qBias, layer.kBias, layer.vBias, layer.oBias, layer.gateBias, layer.upBias,
                                              layer.downBias].compactMap { $0 }
        }
        if lmHead.buffer !== embedTokens.buffer { tensors.append(lmHead) }
        return tensors.reduce(into: [:]) { $0[$1.dtype, default: 0] += $1.byteCount }
    }
    /// Every tensor as loaded, in load order.
    let tensors: [LoadedTensor]

    init(store: WeightStore, config: ModelConfig, architecture: Architecture, backend: KernelBackend, dequantize: Bool = false) throws {
        var tensors: [LoadedTensor] = []
        // Once a matrix is replaced by its row-interleaved copy, the mapped file's pages are released at
        // the end, all but those of the tensors still read in place (vectors are copied, so they keep none)
        var mapping: MappedFile?
        var inPlace: [UnsafeRawBufferPointer] = []
        defer { mapping?.releasePages(keeping: inPlace) }
        func load(_ name: String, _ shape: [Int], matrix: Bool = false) throws -> DeviceTensor {
            guard let stored = try store.tensor(named: name) else {
                throw LoadError.missingTensor(path: store.path, tensor: name)
            }
            guard let fileDtype = stored.type.kernelType else {
                throw LoadError.tensorMismatch(path: stored.file, tensor: name, expected: "F32, F16, BF16 or a GGUF block format",
                                               found: stored.type.rawValue)
            }
            let keep = !fileDtype.isQuantized || (matrix && !dequantize && backend.weightDTypes.contains(fileDtype))
            let host = keep ? stored : stored.dequantized()
            let dtype = keep ? fileDtype : .f32
            guard host.shape == shape else {
                throw LoadError.tensorMismatch(path: host.file, tensor: name, expected: "shape \(shape)", found: "shape \(host.shape)")
            }
            // whole blocks per row, and exactly the bytes the kernels will read
            guard shape.last.map({ $0 % dtype.blockElements == 0 }) ?? false,
                  let expected = dtype.bytes(elements: shape.reduce(1, *)), expected == host.bytes.count else {
                throw LoadError.tensorMismatch(path: host.file, tensor: name,
                                               expected: "rows of whole \(dtype.ggmlName) blocks (\(dtype.blockElements) elements)",
                                               found: "shape \(shape) in \(host.bytes.count) bytes")
            }
            // norms and biases (the vectors) are scanned for NaN/Inf: cheap, and a broken one silently
            // turns every output into garbage
            if shape.count == 1, let bad = host.floatValues().firstIndex(where: { !$0.isFinite }) {
                throw LoadError.malformed(path: host.file, field: "tensor '\(name)'", reason: "element \(bad) is not finite (NaN or Inf)")
            }
            // Q4_0, Q4_1 and Q8_0 matrices go to a backend with row-interleaved kernels (the CPU on x86) in
            // that layout: a copy of the same size, made once here instead of on every product. The
            // original's pages are released at once, and the whole file's again once every tensor is read
            // (the page cache maps large folios around a fault, so later reads map some of them back)
            if matrix, let packed = dtype.rowInterleaved, backend.weightDTypes.contains(packed), shape[0] >= 8,
               let copy = host.rowInterleaved(packed) {
                mapping = mapping ?? host.owner as? MappedFile
                mapping?.releasePages(of: host.bytes)     // now, so the load's peak holds one copy at a time
                let buffer = try backend.buffer(overHost: copy.bytes, owner: copy.owner)
                tensors.append(LoadedTensor(name: name, fileType: stored.type.rawValue, dtype: packed, shape: shape, bytes: copy.bytes.count))
                return DeviceTensor(buffer: buffer, dtype: packed, shape: shape)
            }
            let kept = shape.count == 1 && host.owner is MappedFile ? host.owned() : host
            if kept.owner is MappedFile { inPlace.append(kept.bytes) }
            let buffer = try backend.buffer(overHost: kept.bytes, owner: kept.owner)
            tensors.append(LoadedTensor(name: name, fileType: stored.type.rawValue, dtype: dtype, shape: shape, bytes: kept.bytes.count))
            return DeviceTensor(buffer: buffer, dtype: dtype, shape: shape)
        }
        func optional(_ name: String, _ shape: [Int], _ present: Bool) throws -> DeviceTensor? {
            present ? try load(name, shape) : nil
        }
        let hidden = config.hiddenSize, inter = config.intermediateSize
        let qWidth = config.numAttentionHeads * config.headDimension, kvWidth = config.kvHeads * config.headDimension
        embedTokens = try load("model.embed_tokens.weight", [config.vocabSize, hidden], matrix: true)
        layers = try (0..<config.numHiddenLayers).map { i in
            let p = "model.layers.\(i)."
            let a = architecture
            return DecoderLayerWeights(
                inputNorm: try load(p + "input_layernorm.weight", [hidden]),
                qProj: try load(p + "self_attn.q_proj.weight", [qWidth, hidden], matrix: true),
                kProj: try load(p + "self_attn.k_proj.weight", [kvWidth, hidden], matrix: true),
                vProj: try load(p + "self_attn.v_proj.weight", [kvWidth, hidden], matrix: true),
                oProj: try load(p + "self_attn.o_proj.weight", [hidden, qWidth], matrix: true),
                qBias: try optional(p + "self_attn.q_proj.bias", [qWidth], a.qkvBias),
                kBias: try optional(p + "self_attn.k_proj.bias", [kvWidth], a.qkvBias),
                vBias: try optional(p + "self_attn.v_proj.bias", [kvWidth], a.qkvBias),
                oBias: try optional(p + "self_attn.o_proj.bias", [hidden], a.outputBias),
                postAttentionNorm: try load(p + "post_attention_layernorm.weight", [hidden]),
                gateProj: try load(p + "mlp.gate_proj.weight", [inter, hidden], matrix: true),
                upProj: try load(p + "mlp.up_proj.weight", [inter, hidden], matrix: true),
                downProj: try load(p + "mlp.down_proj.weight", [hidden, inter], matrix: true),
                gateBias: try optional(p + "mlp.gate_proj.bias", [inter], a.mlpBias),
                upBias: try optional(p + "mlp.up_proj.bias", [inter], a.mlpBias),
                downBias: try optional(p + "mlp.down_proj.bias", [hidden], a.mlpBias))
        }
        norm = try load("model.norm.weight", [hidden])
        let hasHead = try store.tensor(named: "lm_head.weight") != nil
        if config.tieWordEmbeddings == true || !hasHead {
            guard config.tieWordEmbeddings != false || hasHead else {
                throw LoadError.missingTensor(path: store.path, tensor: "lm_head.weight")
            }
            lmHead = embedTokens
        } else {
            lmHead = try load("lm_head.weight", [config.vocabSize, hidden], matrix: true)
        }
        self.tensors = tensors
    }
}
