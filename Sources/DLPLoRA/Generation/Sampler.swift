// Sampler.swift: picks the next token from a row of logits: repetition penalty, then greedy, or the
// nucleus rule of NucleusSampling with a draw from a seeded xoshiro256** generator (so runs repeat).
import Foundation

/// xoshiro256** seeded through splitmix64: small, fast, and the same stream on every platform.
struct SeededGenerator: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

/// Chooses tokens for one sequence.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SeededGenerator

    public init(parameters: SamplingParameters) {
        self.parameters = parameters
        generator = SeededGenerator(seed: parameters.seed)
    }

    /// The draw the backend's `sample` op needs for the next token: the one `next` would use (greedy: 0).
    mutating func nextDraw() -> Float {
        parameters.temperature == 0 ? 0 : min(Float(generator.nextUnit()), 0x1.fffffep-1)
    }

    /// The next token for `logits` (one row, f32 [vocab]); `history` are the ids so far (for the penalty).
    public mutating func next(logits input: ArraySlice<Float>, history: [Int32]) -> Int32 {
        var logits = Array(input)
        let p = parameters
        if p.repetitionPenalty != 1 {
            for id in Set(history) where logits.indices.contains(Int(id)) {
                let v = logits[Int(id)]
                logits[Int(id)] = v < 0 ? v * p.repetitionPenalty : v / p.repetitionPenalty
            }
        }
        if p.temperature == 0 {
            return NucleusSampling.choose(logits[...], temperature: 0, topK: 0, topP: 1, uniform: 0)
        }
        // the same f32 draw the backend's sample op gets, so both paths pick the same token
        return NucleusSampling.choose(logits[...], temperature: p.temperature, topK: p.topK, topP: p.topP,
                                      uniform: Double(nextDraw()))
    }
}
