// MistralFamily.swift: Mistral: a Llama block without biases, with an optional sliding attention window.
enum MistralFamily: ModelFamily {
    static let modelType = "mistral"

    static func architecture(for config: ModelConfig) -> Architecture {
        Architecture(family: modelType, qkvBias: false, outputBias: false, mlpBias: false,
                     slidingWindow: config.slidingWindow, ggufPermutesQK: true)
    }
}
