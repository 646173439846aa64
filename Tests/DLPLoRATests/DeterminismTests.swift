// DeterminismTests.swift: same seed, same output. Generation with sampling (temperature, top-k, top-p)
// through the fused multi-LoRA path gives bit-identical tokens and log-probabilities across runs, across
// CPU thread counts (1 and 2), and whether a request runs alone or in a batch beside other requests
// with other plans and sampling settings.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct DeterminismTests {
    static let prompt: [Int32] = [1, 17, 301, 44, 260, 5, 399]
    static let others: [[Int32]] = [[1, 88, 140, 511], [1, 250, 9, 77, 12]]

    /// Generates with `threads` CPU threads; the request under test sits at `position` of a batch of
    /// `batch` (the others: different prompts, plans and seeds).
    func run(threads: Int, batch: Int, position: Int) throws -> GenerationResult {
        let backend = try KernelBackend.cpu(threads: threads)
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: backend)
        let bank = AdapterBank(config: model.config, backend: backend, storage: model.adapterStorage)
        try bank.load(paths: ["r8_all", "all_linear", "rank_pattern"].map { Fixtures.path("lora/tiny-llama/\($0)") })
        let generator = Generator(model: model, tokenizer: nil, contextLength: 64, adapters: bank)
        let sampling = SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: 1234)
        let subject = GenerationRequest(promptIDs: Self.prompt, maxTokens: 24, sampling: sampling,
                                        plan: FusionPlan(["r8_all": 0.6, "all_linear": 0.3, "rank_pattern": 0.1]))
        var requests: [GenerationRequest] = []
        for i in 0..<(batch - 1) {
            requests.append(GenerationRequest(promptIDs: Self.others[i % Self.others.count], maxTokens: 10 + 7 * i,
                                              sampling: SamplingParameters(temperature: 0.5 + Float(i), topP: 0.8, seed: UInt64(99 + i)),
                                              plan: FusionPlan([i % 2 == 0 ? "all_linear" : "r8_all": 1])))
        }
        requests.insert(subject, at: position)
        return try generator.generate(requests)[position]
    }

    @Test func sampledFusedGenerationIsBitIdenticalAcrossRunsThreadsAndBatchPlacement() throws {
        let reference = try run(threads: 2, batch: 1, position: 0)
        #expect(reference.tokenIDs.count == 24)
        #expect(Set(reference.tokenIDs).count > 3, "sampling should vary the tokens: \(reference.tokenIDs)")
        for (threads, batch, position) in [(2, 1, 0), (1, 1, 0), (2, 3, 1), (1, 3, 2), (2, 2, 0)] {
            let result = try run(threads: threads, batch: batch, position: position)
            #expect(result.tokenIDs == reference.tokenIDs, "threads \(threads), batch \(batch) at \(position): \(result.tokenIDs) vs \(reference.tokenIDs)")
        }
    }
}
