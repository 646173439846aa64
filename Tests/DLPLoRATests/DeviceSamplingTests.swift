// DeviceSamplingTests.swift: tokens chosen by the backend (`forwardChoosing`, the `sample` op, one launch
// per run of rows that sample alike) are the tokens the Swift rule picks from the same logits and draws;
// the generate loop gives the same text, greedy and sampled, whether the backend or the host samplers
// choose (a repetition penalty of 1.0000001, which changes no choice here, forces the host path), and a
// batch that mixes settings gives each request its solo tokens.
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
                                                   cache: try model.makeCache(capacity: 8),
                                                   choices: [TokenChoice(rows: 0..<rows.count, rule: .device(temperature: temperature, topK: topK, topP: topP))],
                                                   uniforms: draws).map { row -> Int32? in if case let .token(id) = row { return id } else { return nil } }
            let expected = rows.map { r in
                NucleusSampling.choose(logits[(r * vocab)..<((r + 1) * vocab)], temperature: temperature, topK: topK, topP: topP,
                                       uniform: Double(draws[r]))
            }
            #expect(chosen == expected, "T=\(temperature) k=\(topK) p=\(topP)")
        }
        #expect(throws: InferenceError.self) {
            try model.forwardChoosing(tokens: prompt, slots: [0, 0, 0, 0, 0], positions: [0, 1, 2, 3, 4], logitRows: rows,
                                      cache: try model.makeCache(capacity: 8),
                                      choices: [TokenChoice(rows: 0..<rows.count, rule: .device(temperature: 1, topK: 0, topP: 1))], uniforms: [0.5])
        }
    }

    @Test func theBackendChoosesUnlessARequestNeedsTheHost() {
        #expect(BatchEngine.rule(.greedy) == .device(temperature: 0, topK: 0, topP: 1))
        #expect(BatchEngine.rule(SamplingParameters(temperature: 0, topK: 5, topP: 0.5)) == .device(temperature: 0, topK: 0, topP: 1),
                "greedy is greedy whatever top-k and top-p say")
        #expect(BatchEngine.rule(SamplingParameters(temperature: 0.9, topP: 0.9)) == .device(temperature: 0.9, topK: 0, topP: 0.9))
        #expect(BatchEngine.rule(SamplingParameters(repetitionPenalty: 1.0000001)) == .host)
    }

    @Test func eachRunOfRowsChoosesItsOwnWay() throws {
        // one pass, three runs: greedy rows, sampled rows, host rows: each as its rule picks from the logits
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        let prompt: [Int32] = [1, 17, 301, 44, 260, 9]
        let rows = Array(0..<prompt.count), vocab = model.config.vocabSize
        let draws: [Float] = [0.2, 0.4, 0.6, 0.8, 0.1, 0.3]
        let positions = (0..<prompt.count).map(Int32.init), slots = [Int32](repeating: 0, count: prompt.count)
        let logits = try model.forward(tokens: prompt, slots: slots, positions: positions, logitRows: rows, cache: try model.makeCache(capacity: 8))
        let choices = [TokenChoice(rows: 0..<2, rule: .device(temperature: 0, topK: 0, topP: 1)),
                       TokenChoice(rows: 2..<4, rule: .device(temperature: 1.3, topK: 9, topP: 0.8)),
                       TokenChoice(rows: 4..<6, rule: .host)]
        let chosen = try model.forwardChoosing(tokens: prompt, slots: slots, positions: positions, logitRows: rows,
                                               cache: try model.makeCache(capacity: 8), choices: choices, uniforms: draws)
        for r in 0..<4 {
            let (t, k, p): (Float, Int, Float) = r < 2 ? (0, 0, 1) : (1.3, 9, 0.8)
            let expected = NucleusSampling.choose(logits[(r * vocab)..<((r + 1) * vocab)], temperature: t, topK: k, topP: p, uniform: Double(draws[r]))
            guard case let .token(id) = chosen[r] else { Issue.record("row \(r) should be a token"); continue }
            #expect(id == expected, "row \(r)")
        }
        for r in 4..<6 {
            guard case let .logits(row) = chosen[r] else { Issue.record("row \(r) should be logits"); continue }
            #expect(row == Array(logits[(r * vocab)..<((r + 1) * vocab)]), "row \(r)")
        }
        #expect(throws: InferenceError.self) {
            try model.forwardChoosing(tokens: prompt, slots: slots, positions: positions, logitRows: rows, cache: try model.makeCache(capacity: 8),
                                      choices: Array(choices.prefix(2)), uniforms: draws)
        }
    }

    @Test func aMixedBatchEqualsItsRequestsAlone() throws {
        // greedy, two sampling settings and a penalized request in one batch: each gets its solo tokens
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-qwen2"), backend: Fixtures.cpu)
        let generator = Generator(model: model, tokenizer: nil, contextLength: 40)
        let requests = [
            GenerationRequest(promptIDs: [1, 88, 140], maxTokens: 10),
            GenerationRequest(promptIDs: [1, 5, 6, 7], maxTokens: 10, sampling: SamplingParameters(temperature: 0.9, topK: 40, seed: 3)),
            GenerationRequest(promptIDs: [1, 250], maxTokens: 10, sampling: SamplingParameters(temperature: 0.6, topP: 0.9, seed: 4)),
            GenerationRequest(promptIDs: [1, 9, 9], maxTokens: 10, sampling: SamplingParameters(temperature: 0.9, topK: 40, seed: 5)),
            GenerationRequest(promptIDs: [1, 17], maxTokens: 10, sampling: SamplingParameters(temperature: 0.8, repetitionPenalty: 1.3, seed: 6)),
        ]
        let together = try generator.generate(requests)
        for (i, request) in requests.enumerated() {
            #expect(together[i].tokenIDs == (try generator.generate([request]))[0].tokenIDs, "request \(i)")
        }
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
