// Generator.swift: generation of a fixed batch of requests to their end, on the continuous-batching
// engine (BatchEngine): all prompts are prefilled together in one forward pass, then every step decodes
// one token for each unfinished sequence in one batched pass; each sequence has its own state
// (SequenceState: sampler, stop conditions, streaming detokenizer, plans). Unless a request needs the
// host (a repetition penalty) the backend picks its tokens (the `sample` op with each sampler's next
// draw, one launch per run of requests that sample alike), so only ids cross from the device each step.
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

    /// Runs `requests` as one batch on a BatchEngine with a slot per request (the same engine the server's
    /// scheduler drives), every prompt prefilled in the first step. `onText(i, text)` receives each piece
    /// of sequence i's text as soon as it is final (never a broken UTF-8 character, never part of a stop
    /// string); `onRoute(i, sentence, plan)` hears every plan a router picks. Run inside a task that is
    /// cancelled, it throws CancellationError before the next step.
    public func generate(_ requests: [GenerationRequest],
                         onText: @escaping (Int, String) -> Void = { _, _ in },
                         onRoute: @escaping (Int, String, FusionPlan) -> Void = { _, _, _ in }) throws -> [GenerationResult] {
        guard !requests.isEmpty else { return [] }
        let engine = try BatchEngine(model: model, tokenizer: tokenizer, adapters: adapters,
                                     options: .init(maxBatch: requests.count, contextLength: contextLength,
                                                    prefillChunk: Int(Int32.max), fusedAdapters: fusedAdapters))
        // every request is checked before any runs
        for (i, r) in requests.enumerated() { try engine.validate(r, index: i) }
        let results = ResultSlots(count: requests.count)
        for (i, r) in requests.enumerated() {
            try engine.admit(r, observer: .init(onText: { onText(i, $0) }, onRoute: { onRoute(i, $0, $1) },
                                                onFinish: { results.values[i] = $0 }))
        }
        while engine.hasWork {
            // a cancelled task (a stream whose consumer went away) stops decoding at the next step
            try Task.checkCancellation()
            try engine.step()
        }
        return results.values.compactMap { $0 }
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

/// The results of a batch, filled in as sequences finish.
private final class ResultSlots {
    var values: [GenerationResult?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
}
