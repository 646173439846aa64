// BatchEngineTests.swift: continuous batching. Sequences that join a running batch at different steps,
// with their prompts prefilled in chunks, and with different adapter plans, produce exactly the tokens
// each produces alone; a finished or cancelled sequence frees its slot at once; one step never prefills
// more prompt rows than the chunk allows.
import Testing
@testable import DLPLoRA

@Suite struct BatchEngineTests {
    static let prompts: [[Int32]] = [[1, 17, 301, 44, 260, 5, 399, 12, 40, 41, 42, 43], [1, 88, 140, 511], [1, 250], [1, 9, 9, 9, 9, 9]]

    /// The tokens of `request` generated alone (one slot, the whole prompt in one step).
    private func alone(_ model: TransformerModel, _ bank: AdapterBank?, _ request: GenerationRequest) throws -> [Int32] {
        try Generator(model: model, tokenizer: nil, contextLength: 48, adapters: bank).generate([request])[0].tokenIDs
    }

    @Test func sequencesJoiningARunningBatchEqualSingleRuns() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        let bank = AdapterBank(config: model.config, backend: Fixtures.cpu)
        try bank.load(paths: ["r8_all", "r4_rslora"].map { Fixtures.path("lora/tiny-llama/\($0)") })
        let sampled = SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: 11)
        let requests = [
            GenerationRequest(promptIDs: Self.prompts[0], maxTokens: 9, plan: try FusionPlan(parsing: "r8_all=0.7,r4_rslora=0.3")),
            GenerationRequest(promptIDs: Self.prompts[1], maxTokens: 6),
            GenerationRequest(promptIDs: Self.prompts[2], maxTokens: 12, sampling: sampled, plan: try FusionPlan(parsing: "r4_rslora")),
            GenerationRequest(promptIDs: Self.prompts[3], maxTokens: 7, sampling: sampled),
            GenerationRequest(promptIDs: Self.prompts[1], maxTokens: 5, stopTokenIDs: [], plan: try FusionPlan(parsing: "r8_all")),
        ]
        let expected = try requests.map { try alone(model, bank, $0) }

        // three slots, prompts in chunks of 5 rows; request i arrives before step `arrivals[i]`
        let engine = try BatchEngine(model: model, tokenizer: nil, adapters: bank,
                                     options: .init(maxBatch: 3, contextLength: 48, prefillChunk: 5))
        let arrivals = [0, 0, 2, 3, 4]
        var produced = [[Int32]](repeating: [], count: requests.count)
        var finished = [GenerationResult?](repeating: nil, count: requests.count)
        var queue = Array(requests.indices)
        var step = 0
        while !queue.isEmpty || engine.hasWork {
            while let i = queue.first, arrivals[i] <= step, engine.hasFreeSlot {
                queue.removeFirst()
                try engine.admit(requests[i], observer: .init(onToken: { produced[i].append($0) }, onFinish: { finished[i] = $0 }))
            }
            let before = model.forwardPasses
            try engine.step()
            #expect(model.forwardPasses - before <= 1)
            step += 1
            #expect(step < 200)
        }
        for i in requests.indices {
            #expect(produced[i] == expected[i], "request \(i)")
            #expect(finished[i]?.tokenIDs == expected[i], "request \(i)")
        }
        #expect(engine.slotsInUse == 0 && engine.runningCount == 0)
        #expect(engine.cache.lengths == [0, 0, 0])
    }

    @Test func promptsArePrefilledInChunksAlongsideDecoding() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-qwen2"), backend: Fixtures.cpu)
        let engine = try BatchEngine(model: model, tokenizer: nil, adapters: nil,
                                     options: .init(maxBatch: 2, contextLength: 64, prefillChunk: 4))
        var first: [Int32] = [], second: [Int32] = []
        try engine.admit(GenerationRequest(promptIDs: [1, 2, 3], maxTokens: 20), observer: .init(onToken: { first.append($0) }))
        try engine.step()                              // the short prompt: one step, first token
        #expect(first.count == 1)
        let long = (0..<30).map { Int32(1 + $0 * 7 % 500) }
        try engine.admit(GenerationRequest(promptIDs: long, maxTokens: 3), observer: .init(onToken: { second.append($0) }))
        // 30 prompt rows in chunks of 4: 8 steps before its first token, while the first keeps decoding
        for _ in 0..<7 { try engine.step() }
        #expect(second.isEmpty && first.count == 8)
        try engine.step()
        #expect(second.count == 1 && first.count == 9)
        let expected = try alone(model, nil, GenerationRequest(promptIDs: long, maxTokens: 3))
        while engine.hasWork { try engine.step() }
        #expect(second == expected)
        #expect(first == (try alone(model, nil, GenerationRequest(promptIDs: [1, 2, 3], maxTokens: 20))))
    }

    @Test func cancellingFreesTheSlotAtOnce() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-qwen2"), backend: Fixtures.cpu)
        let engine = try BatchEngine(model: model, tokenizer: nil, adapters: nil,
                                     options: .init(maxBatch: 1, contextLength: 32))
        var heard = 0
        let id = try engine.admit(GenerationRequest(promptIDs: [1, 2, 3], maxTokens: 20), observer: .init(onToken: { _ in heard += 1 }))
        #expect(!engine.hasFreeSlot)
        #expect(throws: GenerationError.self) { try engine.admit(GenerationRequest(promptIDs: [1], maxTokens: 2), observer: .init()) }
        try engine.step()
        #expect(engine.cancel(id) && !engine.cancel(id))
        #expect(engine.hasFreeSlot && !engine.hasWork && engine.cache.lengths == [0])
        try engine.step()
        #expect(heard == 1)
        // the freed slot serves the next sequence from position 0, as if new
        var tokens: [Int32] = []
        try engine.admit(GenerationRequest(promptIDs: [1, 88, 140, 511], maxTokens: 4), observer: .init(onToken: { tokens.append($0) }))
        while engine.hasWork { try engine.step() }
        #expect(tokens == (try alone(model, nil, GenerationRequest(promptIDs: [1, 88, 140, 511], maxTokens: 4))))
    }

    @Test func invalidRequestsAreRefusedAtAdmission() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-qwen2"), backend: Fixtures.cpu)
        let engine = try BatchEngine(model: model, tokenizer: nil, adapters: nil, options: .init(maxBatch: 2, contextLength: 8))
        #expect(throws: InferenceError.tokenOutOfRange(id: 600, vocabularySize: 512)) {
            try engine.admit(GenerationRequest(promptIDs: [1, 600]), observer: .init())
        }
        #expect(throws: InferenceError.contextOverflow(sequence: 0, needed: 9, capacity: 8)) {
            try engine.admit(GenerationRequest(promptIDs: Array(repeating: 1, count: 9)), observer: .init())
        }
        #expect(throws: AdapterError.self) {
            try engine.admit(GenerationRequest(promptIDs: [1], plan: try FusionPlan(parsing: "missing")), observer: .init())
        }
        #expect(throws: GenerationError.emptyPrompt) { try engine.admit(GenerationRequest(promptIDs: []), observer: .init()) }
        #expect(engine.slotsInUse == 0)
        var result: GenerationResult?
        try engine.admit(GenerationRequest(promptIDs: [1], maxTokens: 0), observer: .init(onFinish: { result = $0 }))
        #expect(result?.tokenIDs == [] && engine.slotsInUse == 0)
        #expect(throws: GenerationError.self) {
            _ = try BatchEngine(model: model, tokenizer: nil, adapters: nil, options: .init(maxBatch: 0, contextLength: 8))
        }
    }
}
