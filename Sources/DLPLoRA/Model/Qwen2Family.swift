// Qwen2Family.swift: Qwen2 and Qwen2.5: biases on q/k/v (not on o_proj), sliding window only when the
// config turns it on, no q/k permutation in GGUF files.
enum Qwen2Family: ModelFamily {
    static let modelType = "qwen2"

    static func architecture(for config: ModelConfig) -> Architecture {
        Architecture(family: modelType, qkvBias: true, outputBias: false, mlpBias: false,
                     slidingWindow: config.useSlidingWindow == true ? config.slidingWindow : nil,
                     ggufPermutesQK: false)
    }
}
