// BatchTests.swift: sequences of different lengths run together (one prefill pass, batched decode steps)
// give, each, the same logits and tokens as when run alone.
import Testing
@testable import DLPLoRA

@Suite struct BatchTests {
    static let prompts: [[Int32]] = [[1, 17, 301, 44, 260, 5, 399], [1, 88, 140, 511], [1, 250]]

    @Test(arguments: ["tiny-llama", "tiny-qwen2", "tiny-mistral"])
    func batchedPrefillAndDecodeEqualSingleRuns(name: String) throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path(name), backend: Fixtures.cpu)
        let vocab = model.config.vocabSize
        let steps: [Int32] = [7, 300, 42]          // three decode tokens fed to every sequence
        // alone
        var alone: [[Float]] = []
        for prompt in Self.prompts {
            let cache = try model.makeCache(slots: 1, capacity: 16)
            var logits = try model.forward(tokens: prompt, slots: Array(repeating: 0, count: prompt.count),
                                           positions: (0..<prompt.count).map(Int32.init), logitRows: [prompt.count - 1], cache: cache)
            for (s, token) in steps.enumerated() {
                logits += try model.forward(tokens: [token], slots: [0], positions: [Int32(prompt.count + s)], logitRows: [0], cache: cache)
            }
            alone.append(logits)
        }
        // together: slot i is prompt i; prefill rows interleave nothing but are concatenated
        let cache = try model.makeCache(slots: 3, capacity: 16)
        var tokens: [Int32] = [], slots: [Int32] = [], positions: [Int32] = [], last: [Int] = []
        for (i, p) in Self.prompts.enumerated() {
            tokens += p; slots += Array(repeating: Int32(i), count: p.count); positions += (0..<p.count).map(Int32.init)
            last.append(tokens.count - 1)
        }
        var together = [[Float]](repeating: [], count: 3)
        let prefill = try model.forward(tokens: tokens, slots: slots, positions: positions, logitRows: last, cache: cache)
        for i in 0..<3 { together[i] += prefill[(i * vocab)..<((i + 1) * vocab)] }
        for (s, token) in steps.enumerated() {
            let out = try model.forward(tokens: [token, token, token], slots: [0, 1, 2],
                                        positions: Self.prompts.map { Int32($0.count + s) }, logitRows: [0, 1, 2], cache: cache)
            for i in 0..<3 { together[i] += out[(i * vocab)..<((i + 1) * vocab)] }
        }
        for i in 0..<3 {
            #expect(maxAbsDifference(together[i], alone[i]) < 1e-5, "\(name) sequence \(i)")
        }
        #expect(cache.lengths == Self.prompts.map { $0.count + steps.count })
    }

    @Test func generatorBatchEqualsSingleRequests() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-qwen2"), backend: Fixtures.cpu)
        let generator = Generator(model: model, tokenizer: nil, contextLength: 32)
        let sampled = SamplingParameters(temperature: 0.8, topK: 50, topP: 0.9, seed: 5)
        let requests = [
            GenerationRequest(promptIDs: Self.prompts[0], maxTokens: 8),
            GenerationRequest(promptIDs: Self.prompts[1], maxTokens: 5, sampling: sampled),
            GenerationRequest(promptIDs: Self.prompts[2], maxTokens: 8, sampling: sampled),
        ]
        let batch = try generator.generate(requests)
        for (i, request) in requests.enumerated() {
            let single = try generator.generate([request])
            #expect(batch[i].tokenIDs == single[0].tokenIDs, "request \(i)")
        }
        #expect(batch[1].tokenIDs.count == 5 && batch[1].finishReason == .maxTokens)
    }

    @Test func contextOverflowIsATypedError() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        let generator = Generator(model: model, tokenizer: nil, contextLength: 4)
        #expect(throws: InferenceError.contextOverflow(sequence: 0, needed: 7, capacity: 4)) {
            _ = try generator.generate([GenerationRequest(promptIDs: Self.prompts[0], maxTokens: 2)])
        }
        // a sequence that reaches the end of the context stops with .contextFull
        let result = try generator.generate([GenerationRequest(promptIDs: [1, 2], maxTokens: 10)])
        #expect(result[0].finishReason == .contextFull && result[0].tokenIDs.count == 2)
        #expect(throws: InferenceError.tokenOutOfRange(id: 600, vocabularySize: 512)) {
            _ = try generator.generate([GenerationRequest(promptIDs: [1, 600], maxTokens: 1)])
        }
    }
}
