// StepGraphTests.swift: decode steps recorded and replayed as graphs, on the counting backend whose graphs
// record ops with their arguments and replay them as a device does (CountingGraphs). Replayed generation
// equals eager generation token for token (greedy and sampled, with adapters, as the batch shrinks); a
// warm decode step is one graph launch plus the sample op, one upload and one download; a graph is
// recorded again when the batch shape, the KV cache or the adapter bank changes (never replayed over
// freed buffers); a step that cannot be recorded, or a replay the backend refuses, runs eagerly (and is
// recorded again, up to three failed recordings of a shape).
import CKernels
import Foundation
import Testing
@testable import DLPLoRA

@Suite(.serialized) struct StepGraphTests {
    static let sampled = SamplingParameters(temperature: 0.8, topK: 0, topP: 0.9, repetitionPenalty: 1, seed: 3)

    /// tiny-llama with the r8_all and r4_rslora adapters; graphs kept whatever DLP_GRAPHS says.
    private func load(_ backend: KernelBackend) throws -> (TransformerModel, AdapterBank) {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: backend)
        model.graphs = StepGraphs(backend: backend, environment: [:])
        let bank = AdapterBank(config: model.config, backend: backend)
        let folder = Fixtures.path("lora/tiny-llama")
        try bank.load(paths: [folder + "/r8_all", folder + "/r4_rslora"])
        return (model, bank)
    }

    /// The model on the counting backend with graphs, and on the plain CPU without (the caller holds
    /// countingLock).
    private func replayedAndEager() throws -> ((TransformerModel, AdapterBank), (TransformerModel, AdapterBank)) {
        let replayed = try load(try KernelBackend(table: try countingTable(graphs: true), threads: 1))
        let eager = try load(try KernelBackend.cpu(threads: 1))
        eager.0.graphs = nil
        return (replayed, eager)
    }

    /// Three sequences that end after 4, 7 and 10 tokens (the batch decodes 3, then 2, then 1 rows): a
    /// K=2 mix, the base model, one adapter.
    private func requests(_ sampling: SamplingParameters) throws -> [GenerationRequest] {
        [GenerationRequest(promptIDs: [1, 17, 301, 44], maxTokens: 4, sampling: sampling, plan: try FusionPlan(parsing: "r8_all=0.7,r4_rslora=0.3")),
         GenerationRequest(promptIDs: [1, 88, 140], maxTokens: 7, sampling: sampling),
         GenerationRequest(promptIDs: [1, 9, 260, 33, 5], maxTokens: 10, sampling: sampling, plan: try FusionPlan(parsing: "r4_rslora"))]
    }

    private func tokens(_ model: TransformerModel, _ bank: AdapterBank, _ sampling: SamplingParameters) throws -> [[Int32]] {
        let generator = Generator(model: model, tokenizer: nil, contextLength: 64, adapters: bank)
        return try generator.generate(try requests(sampling)).map(\.tokenIDs)
    }

    @Test func replayedGenerationEqualsEagerGeneration() throws {
        countingLock.lock()
        defer { countingLock.unlock() }
        let ((model, bank), (eagerModel, eagerBank)) = try replayedAndEager()
        for sampling in [SamplingParameters.greedy, Self.sampled] {
            let before = counted
            let replayed = try tokens(model, bank, sampling)
            let seen = counted - before
            #expect(replayed == (try tokens(eagerModel, eagerBank, sampling)))
            #expect(replayed.map(\.count) == [4, 7, 10])
            #expect(seen.launches > 0 && seen.recordedOps > 0)
            #expect(seen.callsWhileRecording == 0)
        }
        let graphs = try #require(model.graphs)
        // every shape (3, 2 and 1 rows) lasts at least two steps: recorded once per generation each
        #expect(graphs.recordings == 6 && graphs.fallbacks == 0)
        #expect(graphs.replays > graphs.recordings)
    }

    @Test func aWarmDecodeStepIsOneLaunchOneUploadOneDownload() throws {
        countingLock.lock()
        defer { countingLock.unlock() }
        let backend = try KernelBackend(table: try countingTable(graphs: true), threads: 1)
        let (model, bank) = try load(backend)
        let plan = try FusionPlan(parsing: "r8_all=0.7,r4_rslora=0.3")
        let liveBefore = CountingGraphs.graphs.count
        func generation(_ maxTokens: Int, _ sampling: SamplingParameters) throws -> TableCounts {
            let generator = Generator(model: model, tokenizer: nil, contextLength: 64, adapters: bank)
            let before = counted
            _ = try generator.generate([GenerationRequest(promptIDs: [1, 17, 301, 44], maxTokens: maxTokens, sampling: sampling, plan: plan),
                                        GenerationRequest(promptIDs: [1, 88, 140], maxTokens: maxTokens, sampling: sampling)])
            return counted - before
        }
        for sampling in [SamplingParameters.greedy, Self.sampled] {
            _ = try generation(3, sampling)                    // warm: buffers grown
            // each generation has a new cache: its first decode step runs eagerly, its second is recorded
            let short = try generation(3, sampling), long = try generation(9, sampling)
            let steps = 6, perStep = long - short
            #expect(perStep.launches == steps, "graph launches per step: \(Double(perStep.launches) / Double(steps))")
            #expect(perStep.ops == steps, "ops outside the graph per step (sample): \(Double(perStep.ops) / Double(steps))")
            #expect(perStep.recordedOps == 0)
            #expect(perStep.uploads == steps && perStep.downloads == steps)
            #expect(perStep.allocations == 0 && perStep.synchronizations == 0 && perStep.callsWhileRecording == 0)
        }
        // the graphs of finished generations (their caches are gone) were freed: only the last one's stays
        #expect(CountingGraphs.graphs.count == liveBefore + 1)
    }

    /// Logits of `steps` decode steps of one sequence on a fixed cache, after a 5-token prompt.
    private func decodeLogits(_ model: TransformerModel, _ cache: KVCache, from start: Int, steps: Int,
                              _ selection: (Int) -> AdapterSelection) throws -> [Float] {
        var out: [Float] = []
        for p in start..<(start + steps) {
            out += try model.forward(tokens: [Int32(7 + p)], slots: [0], positions: [Int32(p)], logitRows: [0], cache: cache,
                                     adapters: selection(1))
        }
        return out
    }

    @Test func aChangedBankIsRecordedAgainAndFailuresRunEagerly() throws {
        countingLock.lock()
        defer { countingLock.unlock() }
        let ((model, bank), (eagerModel, eagerBank)) = try replayedAndEager()
        let graphs = try #require(model.graphs)
        let plan = try FusionPlan(parsing: "r8_all=0.5,all_linear=0.5")
        let folder = Fixtures.path("lora/tiny-llama")
        let cache = try model.makeCache(slots: 1, capacity: 64), eagerCache = try eagerModel.makeCache(slots: 1, capacity: 64)
        let prompt: [Int32] = [1, 17, 301, 44, 260]
        for (m, c) in [(model, cache), (eagerModel, eagerCache)] {
            _ = try m.forward(tokens: prompt, slots: [0, 0, 0, 0, 0], positions: [0, 1, 2, 3, 4], logitRows: [4], cache: c)
        }
        // all_linear joins both banks: the stacks are rebuilt, and the step recorded before the change
        // (naming the old, freed stacks) must not be replayed
        let mix = { (b: AdapterBank) in { (rows: Int) in AdapterSelection(bank: b, plans: [plan], planOfRow: Array(repeating: 0, count: rows)) } }
        let baseOnly = { (b: AdapterBank) in { (rows: Int) in AdapterSelection(bank: b, plans: [], planOfRow: Array(repeating: -1, count: rows)) } }
        var replayed = try decodeLogits(model, cache, from: 5, steps: 3, baseOnly(bank))
        var eager = try decodeLogits(eagerModel, eagerCache, from: 5, steps: 3, baseOnly(eagerBank))
        #expect(graphs.recordings == 1 && graphs.replays == 2 && graphs.fallbacks == 0)
        try bank.load(path: folder + "/all_linear")
        try eagerBank.load(path: folder + "/all_linear")
        replayed += try decodeLogits(model, cache, from: 8, steps: 3, mix(bank))
        eager += try decodeLogits(eagerModel, eagerCache, from: 8, steps: 3, mix(eagerBank))
        #expect(graphs.recordings == 2 && graphs.replays == 4 && graphs.fallbacks == 0)
        try bank.unload(name: "r4_rslora")
        try eagerBank.unload(name: "r4_rslora")
        replayed += try decodeLogits(model, cache, from: 11, steps: 3, mix(bank))
        eager += try decodeLogits(eagerModel, eagerCache, from: 11, steps: 3, mix(eagerBank))
        #expect(graphs.recordings == 3 && graphs.replays == 6 && graphs.fallbacks == 0)
        // a replay the backend refuses runs eagerly and is recorded again at the next step
        CountingGraphs.refuseNextLaunch = true
        replayed += try decodeLogits(model, cache, from: 14, steps: 3, mix(bank))
        eager += try decodeLogits(eagerModel, eagerCache, from: 14, steps: 3, mix(eagerBank))
        #expect(graphs.fallbacks == 1 && graphs.recordings == 4 && graphs.replays == 8)
        // a recording that fails once runs eagerly and is recorded at the next step
        CountingGraphs.failRecordings = 1
        let wider = try FusionPlan(parsing: "r8_all=0.4,all_linear=0.3,rank_pattern=0.3")
        try bank.load(path: folder + "/rank_pattern")
        try eagerBank.load(path: folder + "/rank_pattern")
        let widerMix = { (b: AdapterBank) in { (rows: Int) in AdapterSelection(bank: b, plans: [wider], planOfRow: Array(repeating: 0, count: rows)) } }
        replayed += try decodeLogits(model, cache, from: 17, steps: 4, widerMix(bank))
        eager += try decodeLogits(eagerModel, eagerCache, from: 17, steps: 4, widerMix(eagerBank))
        #expect(graphs.fallbacks == 2 && graphs.recordings == 5 && graphs.replays == 10)
        // a shape whose recording fails three times runs eagerly for good (the unfused path: a new shape)
        let before = counted
        CountingGraphs.failRecordings = 3
        let unfused = { (b: AdapterBank) in
            { (rows: Int) in AdapterSelection(bank: b, plans: [wider], planOfRow: Array(repeating: 0, count: rows), fused: false) }
        }
        replayed += try decodeLogits(model, cache, from: 21, steps: 6, unfused(bank))
        eager += try decodeLogits(eagerModel, eagerCache, from: 21, steps: 6, unfused(eagerBank))
        #expect(graphs.fallbacks == 5 && graphs.recordings == 5 && graphs.replays == 10)
        #expect((counted - before).launches == 0 && CountingGraphs.failRecordings == 0)
        #expect(replayed == eager)
    }

    @Test func theSelfTestChecksReplayedDecodeWhereTheBackendRecords() throws {
        countingLock.lock()
        defer { countingLock.unlock() }
        let recording = try KernelBackend(table: try countingTable(graphs: true), threads: 1)
        let pair = BackendPair(target: recording, reference: try KernelBackend.cpu(threads: 1), seed: 7)
        let checks = try ModelChecks.decodeGraphs(pair, path: Fixtures.path("tiny-llama"))
        #expect(checks.count == 2 && checks.allSatisfy(\.passed), "\(checks)")
        #expect(checks.allSatisfy { $0.shape.contains("x 8 steps (7 replayed)") })
    }

    @Test func graphsFollowTheBackendAndTheSwitch() throws {
        let cpu = try KernelBackend.cpu(threads: 1)
        #expect(!cpu.recordsGraphs)
        #expect(StepGraphs(backend: cpu, environment: [:]) == nil)
        countingLock.lock()
        defer { countingLock.unlock() }
        let recording = try KernelBackend(table: try countingTable(graphs: true), threads: 1)
        #expect(recording.recordsGraphs)
        #expect(StepGraphs(backend: recording, environment: [:]) != nil)
        #expect(StepGraphs(backend: recording, environment: ["DLP_GRAPHS": "0"]) == nil)
    }
}
