// SamplingParameters.swift: how the next token is chosen (greedy, temperature, top-k, top-p, repetition
// penalty, seed), with the same meaning and order as transformers' logits processors.

/// Settings of the sampler. `temperature == 0` is greedy decoding.
public struct SamplingParameters: Sendable, Equatable {
    /// 0: greedy (argmax). Otherwise logits are divided by it before softmax.
    public var temperature: Float
    /// Keep only the k most likely tokens (0: off).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: off).
    public var topP: Float
    /// > 1 discourages tokens already in the prompt or output (1: off), as in transformers.
    public var repetitionPenalty: Float
    /// Seed of the random generator: the same seed gives the same text.
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, repetitionPenalty: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters()

    /// Checks ranges; the error names the setting.
    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw GenerationError.invalidParameter("temperature must be >= 0, got \(temperature)") }
        guard topK >= 0 else { throw GenerationError.invalidParameter("top-k must be >= 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw GenerationError.invalidParameter("top-p must be in (0, 1], got \(topP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw GenerationError.invalidParameter("repetition penalty must be > 0, got \(repetitionPenalty)")
        }
    }
}

/// A generation request or its settings are invalid.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(String)
    case emptyPrompt

    public var description: String {
        switch self {
        case let .invalidParameter(message): return message
        case .emptyPrompt: return "the prompt has no tokens"
        }
    }
}
