// StreamCancellationTests.swift: a consumer that stops reading Generator.stream stops the decoding
// within a step, instead of it running on to max tokens with nobody listening.
import Foundation
import Testing
@testable import DLPLoRA

@Suite(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
struct StreamCancellationTests {
    @Test func leavingTheStreamStopsDecoding() async throws {
        let loaded = try LoadedModel(path: try #require(Fixtures.smollm2), backend: Fixtures.cpu)
        let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer, contextLength: 2048)
        // no stop tokens: left alone it would decode 2,000 steps (14 s or more here). The producer runs
        // ahead of a consumer that the machine schedules late, so the steps before the break vary.
        let request = GenerationRequest(promptIDs: try #require(loaded.tokenizer).encode("Once upon a time"), maxTokens: 2000,
                                        stopTokenIDs: [])
        var pieces = 0
        for try await event in generator.stream(request) {
            if case .text = event { pieces += 1 }
            if pieces == 3 { break }
        }
        #expect(pieces == 3)
        let model = loaded.model
        try await Task.sleep(for: .milliseconds(200))          // room for the step in flight to end
        let settled = model.forwardPasses
        try await Task.sleep(for: .milliseconds(400))          // 40 or more steps if it were still running
        #expect(model.forwardPasses == settled, "decoding went on after the consumer left")
        #expect(settled < 1900, "\(settled) forward passes: it ran to the end")
    }
}
