// SamplerTests.swift: greedy, temperature, top-k, top-p, repetition penalty and seeds behave as in
// transformers' logits processors; stop strings are cut and never half-printed.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 0.5, 2.9]

    @Test func greedyPicksTheArgmax() {
        var s = Sampler(parameters: .greedy)
        #expect(s.next(logits: logits[...], history: []) == 1)
    }

    @Test func sameSeedSameDrawsAndTopKOneIsGreedy() {
        let p = SamplingParameters(temperature: 1.3, seed: 42)
        var a = Sampler(parameters: p), b = Sampler(parameters: p), c = Sampler(parameters: SamplingParameters(temperature: 1.3, seed: 43))
        let drawsA = (0..<50).map { _ in a.next(logits: logits[...], history: []) }
        let drawsB = (0..<50).map { _ in b.next(logits: logits[...], history: []) }
        let drawsC = (0..<50).map { _ in c.next(logits: logits[...], history: []) }
        #expect(drawsA == drawsB)
        #expect(drawsA != drawsC)
        var k1 = Sampler(parameters: SamplingParameters(temperature: 5, topK: 1, seed: 1))
        #expect((0..<20).allSatisfy { _ in k1.next(logits: logits[...], history: []) == 1 })
    }

    @Test func frequenciesFollowTheTemperatureSoftmaxWithinTopKAndTopP() {
        // top-k 3 keeps ids 1, 5, 2; top-p 0.6 of their softmax at T=0.5 keeps 1 and 5
        var sampler = Sampler(parameters: SamplingParameters(temperature: 0.5, topK: 3, topP: 0.6, seed: 7))
        var counts = [Int](repeating: 0, count: logits.count)
        let draws = 20_000
        for _ in 0..<draws { counts[Int(sampler.next(logits: logits[...], history: []))] += 1 }
        let w1 = exp(3.0 / 0.5), w5 = exp(2.9 / 0.5), w2 = exp(2.5 / 0.5)
        #expect(w1 / (w1 + w5 + w2) < 0.6)              // so the nucleus needs a second token
        #expect(counts[0] + counts[2] + counts[3] + counts[4] == 0)
        let expected1 = w1 / (w1 + w5)
        #expect(abs(Double(counts[1]) / Double(draws) - expected1) < 0.015)
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        // id 1 (3.0) penalized by 2 -> 1.5, below id 5 (2.9); id 3 (-1.0) -> -2.0
        var s = Sampler(parameters: SamplingParameters(repetitionPenalty: 2))
        #expect(s.next(logits: logits[...], history: [1, 1, 3]) == 5)
    }

    @Test func invalidSettingsAreErrors() {
        #expect(throws: GenerationError.self) { try SamplingParameters(temperature: -1).validate() }
        #expect(throws: GenerationError.self) { try SamplingParameters(topP: 0).validate() }
        #expect(throws: GenerationError.self) { try SamplingParameters(repetitionPenalty: 0).validate() }
    }

    @Test func stopStringsAreCutAndNeverHalfReleased() {
        var filter = StopStringFilter(stopStrings: ["</end>", "\n\n"])
        var released = ""
        for piece in ["Hello", " wor", "ld<", "/en", "d> tail"] {
            let (out, stopped) = filter.append(piece)
            released += out
            #expect(!released.contains("<"), "a prefix of a stop string was released early")
            if stopped { break }
        }
        #expect(released == "Hello world")
        #expect(filter.text == "Hello world")
        var other = StopStringFilter(stopStrings: ["\n\n"])
        #expect(other.append("a\n").release == "a")
        #expect(other.append("b").release == "\nb")
        #expect(other.flush() == "")
    }

    @Test func stopStringsMatchByScalarsAndStayLinear() {
        // Python's str.find: a stop "e" stops inside "e" + U+0301; a precomposed stop does not match the decomposed form
        var scalar = StopStringFilter(stopStrings: ["e"])
        #expect(scalar.append("cafe\u{301}").release == "caf")
        var composed = StopStringFilter(stopStrings: ["\u{E9}"])
        let (out, stopped) = composed.append("cafe\u{301}")
        #expect(!stopped)
        #expect((out + composed.flush()).unicodeScalars.elementsEqual("cafe\u{301}".unicodeScalars))
        // a stop string split over many pieces, after 20,000 pieces of text: found, and fast
        var long = StopStringFilter(stopStrings: ["<|end|>"])
        var released = ""
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<20_000 { released += long.append("word ").release }
            for piece in ["<|", "en", "d|", ">tail"] { released += long.append(piece).release }
        }
        #expect(released.utf8.count == 100_000)
        #expect(long.text.utf8.count == 100_000)
        #expect(elapsed < .seconds(2), "stop-string filtering is not linear: \(elapsed)")
    }
}
