// PublicAPITests.swift: uses only the public API (plain `import DLPLoRA`), the way README shows it:
// load a model on a backend, generate, stream, and score.
import DLPLoRA
import Foundation
import Testing

@Suite struct PublicAPITests {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-llama").path

    @Test func loadGenerateStreamAndScore() async throws {
        let backend = try KernelBackend.make(device: .cpu, threads: 2)
        let loaded = try LoadedModel(path: Self.model, backend: backend)
        #expect(loaded.model.config.modelType == "llama")
        let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer, contextLength: 64)
        let request = GenerationRequest(promptIDs: [1, 17, 301], maxTokens: 6,
                                        sampling: SamplingParameters(temperature: 0.7, topP: 0.9, seed: 3))
        let results = try generator.generate([request])
        #expect(results[0].tokenIDs.count == 6)

        var finished: GenerationResult?
        for try await event in generator.stream(request) {
            if case let .finished(result) = event { finished = result }
        }
        #expect(finished?.tokenIDs == results[0].tokenIDs)

        let logprobs = try loaded.logProbabilities(ids: [1, 17, 301, 44])
        #expect(logprobs.count == 3 && logprobs.allSatisfy { $0 < 0 && $0.isFinite })
    }
}
