// Generator.swift: the generate loop. All requests are prefilled together in one forward pass, then
// every step decodes one token for each unfinished sequence in one batched forward pass; each sequence
// has its own sampler, stop conditions and streaming detokenizer.
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

    /// The adapter selection for rows of `sequences` (nil when no sequence has a plan).
    private func selection(_ requests: [GenerationRequest], rowsOf sequences: [Int]) throws -> AdapterSelection? {
        let planned = requests.indices.filter { requests[$0].plan != nil }
        guard !planned.isEmpty else { return nil }
        guard let adapters else { throw AdapterError.invalidPlan("a request has an adapter plan but the generator has no adapter bank") }
        let planIndex = Dictionary(uniqueKeysWithValues: planned.enumerated().map { ($0.element, Int32($0.offset)) })
        return AdapterSelection(bank: adapters, plans: planned.compactMap { requests[$0].plan },
                                planOfRow: sequences.map { planIndex[$0] ?? -1 }, fused: fusedAdapters)
    }

    /// Runs `requests` as one batch. `onText(i, text)` receives each piece of sequence i's text as soon as
    /// it is final (never a broken UTF-8 character, never part of a stop string).
    public func generate(_ requests: [GenerationRequest],
                         onText: (Int, String) -> Void = { _, _ in }) throws -> [GenerationResult] {
        guard !requests.isEmpty else { return [] }
        for (i, r) in requests.enumerated() {
            guard !r.promptIDs.isEmpty else { throw GenerationError.emptyPrompt }
            try r.sampling.validate()
            guard r.maxTokens >= 0 else { throw GenerationError.invalidParameter("max tokens must be >= 0") }
            guard r.promptIDs.count <= contextLength else {
                throw InferenceError.contextOverflow(sequence: i, needed: r.promptIDs.count, capacity: contextLength)
            }
        }
        let n = requests.count
        let cache = try model.makeCache(slots: n, capacity: contextLength)
        var samplers = requests.map { Sampler(parameters: $0.sampling) }
        var detokenizers = requests.map { _ in tokenizer.map { StreamingDetokenizer(tokenizer: $0) } }
        var filters = requests.map { StopStringFilter(stopStrings: $0.stopStrings) }
        var histories = requests.map(\.promptIDs)
        var results = requests.map {
            GenerationResult(tokenIDs: [], text: "", finishReason: .maxTokens, promptTokens: $0.promptIDs.count,
                             prefillSeconds: 0, decodeSeconds: 0)
        }
        var active = (0..<n).filter { requests[$0].maxTokens > 0 }

        // prefill: every prompt in one pass; logits of each prompt's last row
        var tokens: [Int32] = [], slots: [Int32] = [], positions: [Int32] = [], lastRows: [Int] = []
        for (i, r) in requests.enumerated() {
            tokens += r.promptIDs
            slots += Array(repeating: Int32(i), count: r.promptIDs.count)
            positions += (0..<r.promptIDs.count).map(Int32.init)
            lastRows.append(tokens.count - 1)
        }
        let prefillStart = Date()
        var logits = try model.forward(tokens: tokens, slots: slots, positions: positions,
                                       logitRows: active.map { lastRows[$0] }, cache: cache,
                                       adapters: try selection(requests, rowsOf: slots.map(Int.init)))
        let prefillSeconds = Date().timeIntervalSince(prefillStart)
        for i in 0..<n { results[i].prefillSeconds = prefillSeconds }

        let vocab = model.config.vocabSize
        var decodeSeconds = 0.0
        while !active.isEmpty {
            var stillActive: [Int] = []
            for (row, i) in active.enumerated() {
                let next = samplers[i].next(logits: logits[(row * vocab)..<((row + 1) * vocab)], history: histories[i])
                histories[i].append(next)
                results[i].tokenIDs.append(next)
                if requests[i].stopTokenIDs.contains(next) {
                    results[i].finishReason = .endOfSequence
                } else {
                    let piece = detokenizers[i]?.append(next) ?? ""
                    let (release, stopped) = filters[i].append(piece)
                    if !release.isEmpty { onText(i, release) }
                    if stopped {
                        results[i].finishReason = .stopString
                    } else if results[i].tokenIDs.count >= requests[i].maxTokens {
                        results[i].finishReason = .maxTokens
                    } else if histories[i].count >= contextLength {
                        results[i].finishReason = .contextFull
                    } else {
                        stillActive.append(i)
                        continue
                    }
                }
                // finished: release held-back text
                if results[i].finishReason != .stopString {
                    let tail = filters[i].append(detokenizers[i]?.flush() ?? "").release + filters[i].flush()
                    if !tail.isEmpty { onText(i, tail) }
                }
                results[i].text = filters[i].text
            }
            active = stillActive
            guard !active.isEmpty else { break }
            let stepStart = Date()
            logits = try model.forward(tokens: active.map { histories[$0][histories[$0].count - 1] },
                                       slots: active.map { Int32($0) },
                                       positions: active.map { Int32(histories[$0].count - 1) },
                                       logitRows: Array(0..<active.count), cache: cache,
                                       adapters: try selection(requests, rowsOf: active))
            decodeSeconds += Date().timeIntervalSince(stepStart)
        }
        for i in 0..<n { results[i].decodeSeconds = decodeSeconds }
        return results
    }

    /// One request as an async stream of text pieces, ending with the result.
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
