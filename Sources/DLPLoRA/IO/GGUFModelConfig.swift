// GGUFModelConfig.swift: a ModelConfig built from GGUF metadata ({arch}.block_count and friends), so a
// GGUF file loads through the same validated path as a Hugging Face folder.

extension ModelConfig {
    static func fromGGUF(_ file: GGUFFile) throws -> ModelConfig {
        let path = file.path
        guard let arch = file.metadata["general.architecture"]?.stringValue else {
            throw LoadError.invalidConfig(path: path, field: "general.architecture", reason: "required field is missing")
        }
        func int(_ key: String) throws -> Int {
            guard let value = file.metadata["\(arch).\(key)"]?.intValue else {
                throw LoadError.invalidConfig(path: path, field: "\(arch).\(key)", reason: "required field is missing or not an integer")
            }
            return value
        }
        func optionalDouble(_ key: String) -> Double? { file.metadata["\(arch).\(key)"]?.doubleValue }
        let heads = try int("attention.head_count")
        var vocab = file.metadata["\(arch).vocab_size"]?.intValue
        if vocab == nil, case let .array(tokens)? = file.metadata["tokenizer.ggml.tokens"] { vocab = tokens.count }
        guard let vocabSize = vocab else {
            throw LoadError.invalidConfig(path: path, field: "\(arch).vocab_size", reason: "missing, and there is no tokenizer.ggml.tokens to count")
        }
        var scaling: RopeScaling?
        if let type = file.metadata["\(arch).rope.scaling.type"]?.stringValue, type != "none" {
            scaling = RopeScaling(ropeType: type, factor: optionalDouble("rope.scaling.factor"),
                                  originalMaxPositionEmbeddings: file.metadata["\(arch).rope.scaling.original_context_length"]?.intValue)
        }
        let embedding = try int("embedding_length")
        let keyLength = file.metadata["\(arch).attention.key_length"]?.intValue
        let hasOutput = file.tensors.contains { $0.name == "output.weight" }
        let config = ModelConfig(
            modelType: arch, hiddenSize: embedding, intermediateSize: try int("feed_forward_length"),
            numHiddenLayers: try int("block_count"), numAttentionHeads: heads,
            numKeyValueHeads: file.metadata["\(arch).attention.head_count_kv"]?.intValue ?? heads,
            headDim: keyLength, vocabSize: vocabSize,
            rmsNormEps: optionalDouble("attention.layer_norm_rms_epsilon") ?? 1e-5,
            ropeTheta: optionalDouble("rope.freq_base") ?? 10000, ropeScaling: scaling,
            maxPositionEmbeddings: file.metadata["\(arch).context_length"]?.intValue,
            tieWordEmbeddings: !hasOutput, attentionBias: nil, mlpBias: nil, hiddenAct: "silu",
            slidingWindow: file.metadata["\(arch).attention.sliding_window"]?.intValue, useSlidingWindow: nil,
            bosTokenId: file.metadata["tokenizer.ggml.bos_token_id"]?.intValue.map { TokenIDList([$0]) },
            eosTokenId: file.metadata["tokenizer.ggml.eos_token_id"]?.intValue.map { TokenIDList([$0]) },
            torchDtype: nil)
        let keys = ["hidden_size": "embedding_length", "intermediate_size": "feed_forward_length", "num_hidden_layers": "block_count",
                    "num_attention_heads": "attention.head_count", "num_key_value_heads": "attention.head_count_kv",
                    "head_dim": "attention.key_length", "vocab_size": "vocab_size", "rms_norm_eps": "attention.layer_norm_rms_epsilon",
                    "rope_theta": "rope.freq_base", "rope_scaling": "rope.scaling", "rope_scaling.factor": "rope.scaling.factor",
                    "max_position_embeddings": "context_length", "sliding_window": "attention.sliding_window"]
        try config.validate(path: path) { field in
            if field == "bos_token_id" || field == "eos_token_id" { return "tokenizer.ggml.\(field)" }
            return keys[field].map { "\(arch).\($0)" } ?? field
        }
        return config
    }
}
