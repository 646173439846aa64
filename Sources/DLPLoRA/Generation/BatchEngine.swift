// BatchEngine.swift: continuous batching. The engine owns a KV cache of `maxBatch` slots; a sequence
// takes a free slot when it is admitted and gives it back the moment it finishes or is cancelled. Each
// step is one forward pass: one decode row for every sequence that is generating, plus the next chunk of
// the prompts still being prefilled (at most `prefillChunk` prompt rows per step, oldest first, so a long
// prompt never stalls the others' decoding for more than one chunk). The rows of a step are assembled in
// one place (StepRows). Not thread-safe: one owner drives it (Generator.generate on the caller's thread,
// the Scheduler on its own thread).
import Foundation

/// Continuous batching over one model and one KV cache.
public final class BatchEngine {
    public struct Options: Sendable {
        /// Sequences that can run at once (KV cache slots).
        public var maxBatch: Int
        /// Positions per sequence (prompt + generated).
        public var contextLength: Int
        /// Most prompt rows one step prefills (all prompts together).
        public var prefillChunk: Int
        /// false: plans run one adapter at a time (the reference path, for comparisons).
        public var fusedAdapters: Bool

        public init(maxBatch: Int, contextLength: Int, prefillChunk: Int = 512, fusedAdapters: Bool = true) {
            self.maxBatch = maxBatch
            self.contextLength = contextLength
            self.prefillChunk = prefillChunk
            self.fusedAdapters = fusedAdapters
        }
    }

    /// What a sequence tells its owner while it runs. Called on the thread that runs `step`.
    public struct Observer {
        /// Each generated token id, as soon as it is chosen.
        public var onToken: (Int32) -> Void
        /// Text that is final (never a broken UTF-8 character, never part of a stop string).
        public var onText: (String) -> Void
        /// A plan a router picked, with the sentence it was picked for.
        public var onRoute: (String, FusionPlan) -> Void
        /// The sequence ended; its slot is free again.
        public var onFinish: (GenerationResult) -> Void

        public init(onToken: @escaping (Int32) -> Void = { _ in }, onText: @escaping (String) -> Void = { _ in },
                    onRoute: @escaping (String, FusionPlan) -> Void = { _, _ in },
                    onFinish: @escaping (GenerationResult) -> Void = { _ in }) {
            self.onToken = onToken
            self.onText = onText
            self.onRoute = onRoute
            self.onFinish = onFinish
        }
    }

    /// A running sequence: its state, its slot, how much of its prompt is in the cache.
    private struct Entry {
        let id: Int
        let slot: Int
        var state: SequenceState
        let observer: Observer
        /// Prompt rows already in the cache.
        var prefilled = 0
        var prefilling: Bool { prefilled < state.request.promptIDs.count }
    }

    public let model: TransformerModel
    public let tokenizer: Tokenizer?
    public let adapters: AdapterBank?
    public let options: Options
    let cache: KVCache
    private var entries: [Entry] = []
    private var freeSlots: [Int]
    private var nextID = 0

    public init(model: TransformerModel, tokenizer: Tokenizer?, adapters: AdapterBank?, options: Options) throws {
        guard options.maxBatch > 0, options.contextLength > 0, options.prefillChunk > 0 else {
            throw GenerationError.invalidParameter("the batch size, the context length and the prefill chunk must be > 0")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.adapters = adapters
        self.options = options
        cache = try model.makeCache(slots: options.maxBatch, capacity: options.contextLength)
        freeSlots = Array((0..<options.maxBatch).reversed())
    }

    /// Sequences running now (prefilling or generating).
    public var runningCount: Int { entries.count }
    /// KV cache slots in use.
    public var slotsInUse: Int { options.maxBatch - freeSlots.count }
    /// Whether another sequence can be admitted now.
    public var hasFreeSlot: Bool { !freeSlots.isEmpty }
    /// Whether a step has anything to do.
    public var hasWork: Bool { !entries.isEmpty }
    /// The adapter names the running sequences' fixed plans or routers use.
    public var adaptersInUse: Set<String> {
        Set(entries.flatMap { $0.state.request.adapterNames })
    }

    /// Checks `request` against this engine (limits, adapters, vocabulary); `index` names it in errors.
    public func validate(_ request: GenerationRequest, index: Int = 0) throws {
        guard request.plan == nil || request.router == nil else {
            throw AdapterError.invalidPlan("request \(index) has both a fixed plan and a router")
        }
        // every adapter a plan or the router names must be loaded (others may be loaded too)
        let loaded = adapters?.names ?? []
        if let missing = request.adapterNames.first(where: { !loaded.contains($0) }) {
            throw AdapterError.unknownAdapter(missing, loaded: loaded)
        }
        guard !request.promptIDs.isEmpty else { throw GenerationError.emptyPrompt }
        try request.sampling.validate()
        guard request.maxTokens >= 0 else { throw GenerationError.invalidParameter("max tokens must be >= 0") }
        // each piece of text is checked against every stop string: bound their number and length
        guard request.stopStrings.count <= 64, request.stopStrings.allSatisfy({ $0.unicodeScalars.count <= 1024 }) else {
            throw GenerationError.invalidParameter("at most 64 stop strings of at most 1024 characters each")
        }
        guard request.promptIDs.count <= options.contextLength else {
            throw InferenceError.contextOverflow(sequence: index, needed: request.promptIDs.count, capacity: options.contextLength)
        }
        let vocab = model.config.vocabSize
        if let bad = request.promptIDs.first(where: { $0 < 0 || Int($0) >= vocab }) {
            throw InferenceError.tokenOutOfRange(id: Int(bad), vocabularySize: vocab)
        }
    }

    /// Starts `request` in a free slot (its prompt is prefilled by the next steps) and returns its id.
    /// A request for no tokens finishes at once. Throws when it is invalid or no slot is free.
    @discardableResult
    public func admit(_ request: GenerationRequest, observer: Observer) throws -> Int {
        try validate(request)
        let state = try SequenceState(request: request, tokenizer: tokenizer, onRoute: observer.onRoute)
        let id = nextID
        nextID += 1
        guard state.wantsTokens else {
            observer.onFinish(state.result)
            return id
        }
        guard let slot = freeSlots.popLast() else {
            throw GenerationError.invalidParameter("no free sequence slot (all \(options.maxBatch) are in use)")
        }
        cache.lengths[slot] = 0
        entries.append(Entry(id: id, slot: slot, state: state, observer: observer))
        return id
    }

    /// Stops sequence `id` now and frees its slot (its observer hears nothing more). False if it is not running.
    @discardableResult
    public func cancel(_ id: Int) -> Bool {
        guard let i = entries.firstIndex(where: { $0.id == id }) else { return false }
        release(entries.remove(at: i))
        return true
    }

    /// Cancels every running sequence.
    public func cancelAll() {
        for entry in entries { release(entry) }
        entries.removeAll()
    }

    private func release(_ entry: Entry) {
        cache.lengths[entry.slot] = 0
        freeSlots.append(entry.slot)
    }

    /// One forward pass: a token for every generating sequence, the next chunk of the prompts being
    /// prefilled. Finished sequences leave (their observers' onFinish runs) and free their slots. When
    /// the pass itself fails, every running sequence is cancelled and the error is thrown.
    public func step() throws {
        guard !entries.isEmpty else { return }
        let rows = StepRows(entries: entries.map { ($0.slot, $0.state, $0.prefilled) }, prefillBudget: options.prefillChunk)
        let start = Date()
        let chosen: [ChosenRow]
        do {
            chosen = try forward(rows)
        } catch {
            cancelAll()
            throw error
        }
        let seconds = Date().timeIntervalSince(start)
        for (e, taken) in rows.promptRowsTaken.enumerated() where taken > 0 {
            entries[e].prefilled += taken
            entries[e].state.result.prefillSeconds += seconds
        }
        for e in rows.decodingEntries { entries[e].state.result.decodeSeconds += seconds }
        var finished: [Int] = []
        let contextLength = options.contextLength
        for (j, e) in rows.logitEntries.enumerated() {
            let next: Int32
            switch chosen[j] {
            case let .token(id): next = id
            case let .logits(logits): next = entries[e].state.sampler.next(logits: logits[...], history: entries[e].state.history)
            }
            let observer = entries[e].observer
            observer.onToken(next)
            if !entries[e].state.accept(next, contextLength: contextLength, onText: observer.onText, onRoute: observer.onRoute) {
                finished.append(e)
            }
        }
        for e in finished.sorted(by: >) {
            let entry = entries.remove(at: e)
            release(entry)
            entry.observer.onFinish(entry.state.result)
        }
    }

    /// Runs the rows. Each run of logit rows whose sequences sample the same way has its tokens picked by
    /// the backend (one draw from each sequence's sampler); a sequence with a repetition penalty gets its
    /// logits back for its host sampler (the same rule with the same draws, so a sequence's tokens do not
    /// depend on which way its step went).
    private func forward(_ rows: StepRows) throws -> [ChosenRow] {
        let selection = try SequencePlans.selection(entries.map(\.state.plans), rows: rows.plans, bank: adapters,
                                                    fused: options.fusedAdapters)
        let rules = rows.logitEntries.map { Self.rule(entries[$0].state.request.sampling) }
        var choices: [TokenChoice] = []
        for (j, rule) in rules.enumerated() {
            if let last = choices.last, last.rule == rule {
                choices[choices.count - 1].rows = last.rows.lowerBound..<(j + 1)
            } else {
                choices.append(TokenChoice(rows: j..<(j + 1), rule: rule))
            }
        }
        var draws = [Float](repeating: 0, count: rules.count)
        for (j, e) in rows.logitEntries.enumerated() where rules[j] != .host { draws[j] = entries[e].state.sampler.nextDraw() }
        return try model.forwardChoosing(tokens: rows.tokens, slots: rows.slots, positions: rows.positions, logitRows: rows.logitRows,
                                         cache: cache, adapters: selection, choices: choices, uniforms: draws)
    }

    /// How a sequence's next token is chosen: on the backend, unless a repetition penalty needs the host.
    static func rule(_ sampling: SamplingParameters) -> TokenChoice.Rule {
        sampling.repetitionPenalty != 1 ? .host
            : .device(temperature: sampling.temperature, topK: sampling.temperature > 0 ? sampling.topK : 0,
                      topP: sampling.temperature > 0 ? sampling.topP : 1)
    }
}

/// The rows of one forward pass: first one decode row per generating sequence (its last token at its
/// last position; sequences that choose tokens the same way next to each other, so each such run is one
/// `sample` launch), then prompt chunks of the sequences still prefilling, oldest first, within the
/// budget. A sequence whose prompt ends in this step gets a logit row at its last prompt row.
struct StepRows {
    var tokens: [Int32] = []       // [rows]
    var slots: [Int32] = []        // [rows]
    var positions: [Int32] = []    // [rows]
    /// Per row: (entry, local plan index) for SequencePlans.selection.
    var plans: [(sequence: Int, plan: Int32)] = []
    /// Rows whose logits are needed, and the entry each belongs to.
    var logitRows: [Int] = []
    var logitEntries: [Int] = []
    /// Entries with a decode row in this step.
    var decodingEntries: [Int] = []
    /// Prompt rows each entry adds in this step.
    var promptRowsTaken: [Int]

    init(entries: [(slot: Int, state: SequenceState, prefilled: Int)], prefillBudget: Int) {
        promptRowsTaken = Array(repeating: 0, count: entries.count)
        let decoding = entries.indices.filter { entries[$0].prefilled >= entries[$0].state.request.promptIDs.count }
        let keys = decoding.map { BatchEngine.rule(entries[$0].state.request.sampling).order }
        let order = decoding.indices.sorted { a, b in keys[a].lexicographicallyPrecedes(keys[b]) || (keys[a] == keys[b] && a < b) }
        for e in order.map({ decoding[$0] }) {
            let entry = entries[e]
            let row = entry.state.nextRow
            append(token: row.token, slot: entry.slot, position: row.position, entry: e, plan: entry.state.plans.current)
            logitRows.append(tokens.count - 1)
            logitEntries.append(e)
            decodingEntries.append(e)
        }
        var budget = prefillBudget
        for (e, entry) in entries.enumerated() where budget > 0 {
            let prompt = entry.state.request.promptIDs
            guard entry.prefilled < prompt.count else { continue }
            let take = min(budget, prompt.count - entry.prefilled)
            let promptPlans = entry.state.plans.promptRows
            for p in entry.prefilled..<(entry.prefilled + take) {
                append(token: prompt[p], slot: entry.slot, position: Int32(p), entry: e, plan: promptPlans[p])
            }
            budget -= take
            promptRowsTaken[e] = take
            if entry.prefilled + take == prompt.count {
                logitRows.append(tokens.count - 1)
                logitEntries.append(e)
            }
        }
    }

    private mutating func append(token: Int32, slot: Int, position: Int32, entry: Int, plan: Int32) {
        tokens.append(token)
        slots.append(Int32(slot))
        positions.append(position)
        plans.append((entry, plan))
    }
}

extension TokenChoice.Rule {
    /// A sort key that puts equal rules next to each other.
    var order: [Float] {
        switch self {
        case .host: return [1, 0, 0, 0]
        case let .device(temperature, topK, topP): return [0, temperature, Float(topK), topP]
        }
    }
}
