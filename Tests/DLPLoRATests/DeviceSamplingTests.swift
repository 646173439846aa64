// DeviceSamplingTests.swift: tokens chosen by the backend (`forwardChoosing`, the `sample` op) are the
// tokens the Swift rule picks from the same logits and draws; the generate loop gives the same text, greedy
// and sampled, whether the backend or the host samplers choose (a repetition penalty of 1.0000001, which
// changes no choice here, forces the host path).
import Testing
@testable import DLPLoRA

@Suite struct DeviceSamplingTests {
    @Test func backendChoicesEqualTheSwiftRule() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        let prompt: [Int32] = [1, 17, 301, 44, 260]
        let rows = Array(0..<prompt.count), vocab = model.config.vocabSize
        let draws: [Float] = [0.01, 0.37, 0.5, 0.93, 0.999]
        for (temperature, topK, topP) in [(Float(0), 0, Float(1)), (0.7, 0, 1), (1.2, 20, 1), (0.9, 0, 0.8), (1.5, 7, 0.6)] {
            let logits = try model.forward(tokens: prompt, slots: [0, 0, 0, 0, 0], positions: [0, 1, 2, 3, 4], logitRows: rows,
                                           cache: try model.makeCache(capacity: 8))
            let chosen = try model.forwardChoosing(tokens: prompt, slots: [0, 0, 0, 0, 0], positions: [0, 1, 2, 3, 4], logitRows: rows,
                                                   cache: try model.makeCache(capacity: 8), temperature: temperature, topK: topK,
                                                   topP: topP, uniforms: draws)
            let expected = rows.map { r in
                NucleusSampling.choose(logits[(r * vocab)..<((r + 1) * vocab)], temperature: temperature, topK: topK, topP: topP,
                                       uniform: Double(draws[r]))
            }
            #expect(chosen == expected, "T=\(temperature) k=\(topK) p=\(topP)")
        }
        #expect(throws: InferenceError.self) {
            try model.forwardChoosing(tokens: prompt, slots: [0, 0, 0, 0, 0], positions: [0, 1, 2, 3, 4], logitRows: rows,
                                      cache: try model.makeCache(capacity: 8), temperature: 1, topK: 0, topP: 1, uniforms: [0.5])
        }
    }

    @Test func theBackendChoosesUnlessARequestNeedsTheHost() {
        let greedy = GenerationRequest(promptIDs: [1], sampling: .greedy)
        let sampled = GenerationRequest(promptIDs: [1], sampling: SamplingParameters(temperature: 0.9, topP: 0.9))
        let penalized = GenerationRequest(promptIDs: [1], sampling: SamplingParameters(repetitionPenalty: 1.0000001))
        #expect(Generator.backendChooses([greedy, greedy]))
        #expect(Generator.backendChooses([sampled]))
        #expect(!Generator.backendChooses([greedy, sampled]))
        #expect(!Generator.backendChooses([penalized]))
    }

    @Test func generatedTextIsTheSameOnEitherPath() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-qwen2"), backend: Fixtures.cpu)
        let generator = Generator(model: model, tokenizer: nil, contextLength: 32)
        let device = try generator.generate([GenerationRequest(promptIDs: [1, 88, 140], maxTokens: 12)])[0].tokenIDs
        let host = try generator.generate([GenerationRequest(promptIDs: [1, 88, 140], maxTokens: 12,
                                                             sampling: SamplingParameters(repetitionPenalty: 1.0000001))])[0].tokenIDs
        #expect(device == host)
        #expect(device.count == 12)
        let sampled = SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: 11)
        var forced = sampled
        forced.repetitionPenalty = 1.0000001
        let onDevice = try generator.generate([GenerationRequest(promptIDs: [1, 88, 140], maxTokens: 24, sampling: sampled)])[0].tokenIDs
        let onHost = try generator.generate([GenerationRequest(promptIDs: [1, 88, 140], maxTokens: 24, sampling: forced)])[0].tokenIDs
        #expect(onDevice == onHost)
        #expect(Set(onDevice).count > 3, "sampling at T=0.9 should not repeat one token")
    }
}
