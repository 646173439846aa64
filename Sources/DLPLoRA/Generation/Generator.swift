// Generator.swift: the generate loop. All requests are prefilled together in one forward pass, then
// every step decodes one token for each unfinished sequence in one batched forward pass; each sequence
// has its own state (SequenceState: sampler, stop conditions, streaming detokenizer, plans). When no request needs the host (a
// repetition penalty, or different sampling settings per request) the backend picks the tokens itself
// (the `sample` op with each sampler's next draw), so only ids cross from the device each step.
import Foundation

/// Generates continuations with a model (and its tokenizer, for text and stop strings).
public final class Generator: @unchecked Sendable {
    public let model: TransformerModel
    public let tokenizer: Tokenizer?
    /// Positions per sequence (prompt + generated).
    public let contextLength: Int
    /// The adapters requests' plans refer to.
    public let adapters: AdapterBank?
    /// false: apply plans one adapter at a time (the reference path, for comparisons).
    public let fusedAdapters: Bool

    public init(model: TransformerModel, tokenizer: Tokenizer?, contextLength: Int, adapters: AdapterBank? = nil,
                fusedAdapters: Bool = true) {
        self.model = model
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.adapters = adapters
        self.fusedAdapters = fusedAdapters
    }

    /// Runs `requests` as one batch. `onText(i, text)` receives each piece of sequence i's text as soon as
    /// it is final (never a broken UTF-8 character, never part of a stop string); `onRoute(i, sentence,
    /// plan)` hears every plan a router picks. Run inside a task that is cancelled, it throws
    /// CancellationError before the next decode step.
    public func generate(_ requests: [GenerationRequest],
                         onText: (Int, String) -> Void = { _, _ in },
                         onRoute: (Int, String, FusionPlan) -> Void = { _, _, _ in }) throws -> [GenerationResult] {
        guard !requests.isEmpty else { return [] }
        for (i, r) in requests.enumerated() {
            guard r.plan == nil || r.router == nil else { throw AdapterError.invalidPlan("request \(i) has both a fixed plan and a router") }
            if let router = r.router {
                try router.router.checkAdapters(adapters?.names ?? [], routerPath: "the request's router")
            }
            guard !r.promptIDs.isEmpty else { throw GenerationError.emptyPrompt }
            try r.sampling.validate()
            guard r.maxTokens >= 0 else { throw GenerationError.invalidParameter("max tokens must be >= 0") }
            // each piece of text is checked against every stop string: bound their number and length
            guard r.stopStrings.count <= 64, r.stopStrings.allSatisfy({ $0.unicodeScalars.count <= 1024 }) else {
                throw GenerationError.invalidParameter("at most 64 stop strings of at most 1024 characters each")
            }
            guard r.promptIDs.count <= contextLength else {
                throw InferenceError.contextOverflow(sequence: i, needed: r.promptIDs.count, capacity: contextLength)
            }
        }
        let n = requests.count
        let cache = try model.makeCache(slots: n, capacity: contextLength)
        // one state per sequence; sequence i decodes in cache slot i
        var states = try requests.enumerated().map { i, r in
            try SequenceState(request: r, tokenizer: tokenizer) { onRoute(i, $0, $1) }
        }
        var active = (0..<n).filter { states[$0].wantsTokens }

        // prefill: every prompt in one pass; logits of each prompt's last row
        var tokens: [Int32] = [], slots: [Int32] = [], positions: [Int32] = [], lastRows: [Int] = []
        var rowPlans: [(sequence: Int, plan: Int32)] = []
        for (i, r) in requests.enumerated() {
            tokens += r.promptIDs
            slots += Array(repeating: Int32(i), count: r.promptIDs.count)
            positions += (0..<r.promptIDs.count).map(Int32.init)
            lastRows.append(tokens.count - 1)
            rowPlans += states[i].plans.promptRows.map { (i, $0) }
        }
        let onDevice = Generator.backendChooses(requests)
        let shared = requests[0].sampling
        func step(tokens: [Int32], slots: [Int32], positions: [Int32], logitRows: [Int], sequences: [Int],
                  selection: AdapterSelection?) throws -> Choices {
            if onDevice {
                let draws = sequences.map { states[$0].sampler.nextDraw() }
                return .tokens(try model.forwardChoosing(tokens: tokens, slots: slots, positions: positions, logitRows: logitRows,
                                                         cache: cache, adapters: selection, temperature: shared.temperature,
                                                         topK: shared.topK, topP: shared.topP, uniforms: draws))
            }
            return .logits(try model.forward(tokens: tokens, slots: slots, positions: positions, logitRows: logitRows,
                                             cache: cache, adapters: selection))
        }
        func selection(_ rows: [(sequence: Int, plan: Int32)]) throws -> AdapterSelection? {
            try SequencePlans.selection(states.map(\.plans), rows: rows, bank: adapters, fused: fusedAdapters)
        }
        let prefillStart = Date()
        var choices = try step(tokens: tokens, slots: slots, positions: positions, logitRows: active.map { lastRows[$0] },
                               sequences: active, selection: try selection(rowPlans))
        let prefillSeconds = Date().timeIntervalSince(prefillStart)
        for i in 0..<n { states[i].result.prefillSeconds = prefillSeconds }

        let vocab = model.config.vocabSize
        var decodeSeconds = 0.0
        while !active.isEmpty {
            // a cancelled task (a stream whose consumer went away) stops decoding at the next step
            try Task.checkCancellation()
            var stillActive: [Int] = []
            for (row, i) in active.enumerated() {
                let next: Int32
                switch choices {
                case let .tokens(ids): next = ids[row]
                case let .logits(logits):
                    next = states[i].sampler.next(logits: logits[(row * vocab)..<((row + 1) * vocab)], history: states[i].history)
                }
                if states[i].accept(next, contextLength: contextLength, onText: { onText(i, $0) }, onRoute: { onRoute(i, $0, $1) }) {
                    stillActive.append(i)
                }
            }
            active = stillActive
            guard !active.isEmpty else { break }
            let stepStart = Date()
            choices = try step(tokens: active.map { states[$0].nextRow.token }, slots: active.map { Int32($0) },
                               positions: active.map { states[$0].nextRow.position },
                               logitRows: Array(0..<active.count), sequences: active,
                               selection: try selection(active.map { ($0, states[$0].plans.current) }))
            decodeSeconds += Date().timeIntervalSince(stepStart)
        }
        for i in 0..<n { states[i].result.decodeSeconds = decodeSeconds }
        return states.map(\.result)
    }

    /// One request as an async stream of text pieces, ending with the result. When the consumer stops
    /// iterating, decoding stops within a step (the task is cancelled; `generate` checks each step).
    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached { [self] in
                do {
                    let results = try self.generate([request]) { _, text in continuation.yield(.text(text)) }
                    if let result = results.first { continuation.yield(.finished(result)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// A piece of a streamed generation.
public enum GenerationEvent: Sendable {
    case text(String)
    case finished(GenerationResult)
}

extension Generator {
    /// Whether the backend chooses the next tokens of `requests` (only ids come back instead of rows x
    /// vocab logits): every request samples the same way and none has a repetition penalty, which needs
    /// the history on the host.
    static func backendChooses(_ requests: [GenerationRequest]) -> Bool {
        requests.allSatisfy { $0.sampling.repetitionPenalty == 1 }
            && Set(requests.map { [$0.sampling.temperature, Float($0.sampling.topK), $0.sampling.topP] }).count == 1
    }
}

/// What one forward step of the generate loop returns: the tokens the backend chose, or logits to sample.
private enum Choices {
    case tokens([Int32])
    case logits([Float])
}
