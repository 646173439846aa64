// LlamaFamily.swift: Llama 1/2/3/3.1/3.2 (and SmolLM2, which is a Llama): optional attention/MLP biases,
// llama3 rope scaling through RopeFrequencies, tied embeddings through the config.
enum LlamaFamily: ModelFamily {
    static let modelType = "llama"

    static func architecture(for config: ModelConfig) -> Architecture {
        let attentionBias = config.attentionBias ?? false
        return Architecture(family: modelType, qkvBias: attentionBias, outputBias: attentionBias,
                            mlpBias: config.mlpBias ?? false, slidingWindow: nil, ggufPermutesQK: true)
    }
}
