// TransformerModel.swift: the decoder shared by every family (Llama, Qwen2, Mistral): embedding, N
// pre-norm blocks of grouped-query attention with rotary positions and a SwiGLU MLP, final norm and
// LM head. One forward call runs any mix of rows: the prompts of several sequences (prefill), one new
// token per sequence (decode), or both; each row carries its cache slot and position.

import Foundation

/// Errors from running a model on given inputs.
public enum InferenceError: Error, CustomStringConvertible, Equatable {
    /// A sequence would need more positions than the cache holds.
    case contextOverflow(sequence: Int, needed: Int, capacity: Int)
    /// A token id is outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// The request itself is inconsistent (empty prompt, bad slot).
    case invalidRequest(String)

    public var description: String {
        switch self {
        case let .contextOverflow(sequence, needed, capacity):
            return "sequence \(sequence) needs \(needed) positions but the context holds \(capacity) (raise --context or shorten the prompt)"
        case let .tokenOutOfRange(id, size):
            return "token id \(id) is outside the vocabulary [0, \(size))"
        case let .invalidRequest(message):
            return message
        }
    }
}

/// How the next tokens of a run of consecutive logit rows are chosen.
public struct TokenChoice: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// On the backend: argmax at temperature 0, else nucleus sampling with the row's draw.
        case device(temperature: Float, topK: Int, topP: Float)
        /// On the host, from the row's logits (a repetition penalty needs the history).
        case host
    }
    public var rows: Range<Int>
    public var rule: Rule
    public init(rows: Range<Int>, rule: Rule) {
        self.rows = rows
        self.rule = rule
    }
}

/// A logit row's outcome: the token the backend chose, or the logits for the host to choose from.
public enum ChosenRow: Sendable {
    case token(Int32)
    case logits([Float])
}

/// A loaded decoder-only language model on a backend.
public final class TransformerModel: @unchecked Sendable {
    public let config: ModelConfig
    public let architecture: Architecture
    public let backend: KernelBackend
    var weights: ModelWeights
    let inverseFrequencies: DeviceTensor   // f32 [head_dim / 2]
    private var workspace: Workspace?
    private lazy var scratch = ScratchPool(backend: backend)
    /// Decode steps recorded as graphs (nil where the backend records none, or DLP_GRAPHS=0).
    lazy var graphs = StepGraphs(backend: backend)
    /// One forward pass at a time per model (they share the workspace).
    private let lock = NSLock()

    init(config: ModelConfig, architecture: Architecture, weights: ModelWeights, ropeFactors: [Float]?,
         backend: KernelBackend) throws {
        self.config = config
        self.architecture = architecture
        self.weights = weights
        self.backend = backend
        let inv = RopeFrequencies.inverseFrequencies(config: config, factors: ropeFactors)
        inverseFrequencies = DeviceTensor(buffer: try backend.allocate(bytes: inv.count * 4), dtype: .f32, shape: [inv.count])
        try inverseFrequencies.buffer.upload(inv)
    }

    /// Forward passes run so far (prefill and decode steps alike; for metrics and tests).
    public var forwardPasses: Int { lock.withLock { passes } }
    private var passes = 0

    /// How decode steps ran: "graphs: N steps replayed, M recorded" where the backend records graphs,
    /// else why not ("graphs: none on cpu", "graphs: off (DLP_GRAPHS=0)").
    public var stepGraphs: String {
        lock.withLock {
            if let graphs { return "graphs: \(graphs.replays) steps replayed, \(graphs.recordings) recorded, \(graphs.fallbacks) run op by op instead" }
            return backend.recordsGraphs ? "graphs: off (DLP_GRAPHS=0)" : "graphs: none on \(backend.name)"
        }
    }

    /// Runs `body` while no forward pass can run (for changing weights).
    func withExclusiveAccess<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        graphs?.removeAll()          // recorded steps name the weights as they were
        return try body()
    }

    /// Bytes of weights per dtype.
    public var weightBytes: [DType: Int] { weights.bytesByType }
    /// Every weight as loaded: the type in the file, the dtype kept, the bytes it occupies.
    public var loadedTensors: [LoadedTensor] { weights.tensors }

    /// Weight bytes one decode step streams: every layer and the LM head (an untied embedding table is
    /// only gathered from, one row per token). The numerator of the memory-bandwidth roofline.
    public var decodeWeightBytes: Int {
        weightBytes.values.reduce(0, +) - (tiedEmbeddings ? 0 : weights.embedTokens.byteCount)
    }

    /// The dtype an adapter bank for this model stacks A and B in: the model's own dtype for f16 and bf16
    /// models (as vLLM keeps LoRA weights in the model's dtype: half the bytes per token, at the base's
    /// precision), f16 for block-quantized ones (finer than bf16, and far finer than the base's
    /// rounding), f32 for f32 models. Products still accumulate in f32.
    public var adapterStorage: DType {
        guard let dtype = weights.layers.first?.qProj.dtype else { return .f32 }
        if dtype == .f16 || dtype == .bf16 { return dtype }
        return dtype.isQuantized ? .f16 : .f32
    }

    /// The LM head is the embedding matrix.
    public var tiedEmbeddings: Bool { weights.lmHead.buffer === weights.embedTokens.buffer }

    /// Number of weights (the tied head counted once).
    public var parameterCount: Int {
        let layers = weights.layers.reduce(0) { sum, l in
            let tensors: [DeviceTensor?] = [l.inputNorm, l.qProj, l.kProj, l.vProj, l.oProj, l.qBias, l.kBias, l.vBias, l.oBias,
                                            l.postAttentionNorm, l.gateProj, l.upProj, l.downProj, l.gateBias, l.upBias, l.downBias]
            return sum + tensors.reduce(0) { $0 + ($1?.count ?? 0) }
        }
        return weights.embedTokens.count + layers + weights.norm.count + (tiedEmbeddings ? 0 : weights.lmHead.count)
    }

    /// A cache for `slots` sequences of `capacity` positions each.
    public func makeCache(slots: Int = 1, capacity: Int) throws -> KVCache {
        guard slots > 0, capacity > 0 else { throw InferenceError.invalidRequest("a cache needs at least one slot and one position") }
        guard slots <= KVCache.maximumSlots, capacity <= KVCache.maximumCapacity else {
            throw InferenceError.invalidRequest("a cache of \(slots) slots x \(capacity) positions is above the limits (\(KVCache.maximumSlots) slots, \(KVCache.maximumCapacity) positions)")
        }
        return try KVCache(backend: backend, layers: config.numHiddenLayers, kvHeads: config.kvHeads,
                           headDim: config.headDimension, slots: slots, capacity: capacity)
    }

    private func workspace(rows: Int, logitRows: Int) throws -> Workspace {
        if let w = workspace, w.rows >= rows, w.logitRows >= logitRows { return w }
        let grown = try Workspace(backend: backend, config: config, rows: max(rows, workspace?.rows ?? 0),
                                  logitRows: max(logitRows, workspace?.logitRows ?? 0))
        workspace = grown
        return grown
    }

    /// Runs token rows through the model and returns the logits of the rows listed in `logitRows`, as
    /// f32 [logitRows.count * vocab]. Row i is token `tokens[i]` of cache slot `slots[i]` at position
    /// `positions[i]`; every earlier position of that slot must already be in the cache or in this batch.
    /// `adapters` adds each row's LoRA mix (rows whose plan is -1 run the base model alone).
    public func forward(tokens: [Int32], slots: [Int32], positions: [Int32], logitRows: [Int],
                        cache: KVCache, adapters: AdapterSelection? = nil) throws -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        guard let (ws, _) = try run(tokens: tokens, slots: slots, positions: positions, logitRows: logitRows, cache: cache,
                                    adapters: adapters, uniforms: nil) else { return [] }
        return try ws.logits.buffer.download(Float.self, count: logitRows.count * config.vocabSize)
    }

    /// Like `forward`, but each run of logit rows chooses its tokens its own way: on the backend (the
    /// `sample` op: the argmax when the temperature is 0, else the NucleusSampling rule with the row's
    /// draw `uniforms[j]` in [0, 1)), so only ids come back, or on the host (the row's logits come back). One `sample` launch per device run; one download of the ids, plus one per host run.
    public func forwardChoosing(tokens: [Int32], slots: [Int32], positions: [Int32], logitRows: [Int],
                                cache: KVCache, adapters: AdapterSelection? = nil, choices: [TokenChoice],
                                uniforms: [Float]) throws -> [ChosenRow] {
        guard uniforms.count == logitRows.count else {
            throw InferenceError.invalidRequest("\(uniforms.count) uniforms for \(logitRows.count) logit rows")
        }
        guard choices.allSatisfy({ $0.rows.lowerBound >= 0 && $0.rows.upperBound <= logitRows.count }),
              choices.map(\.rows.count).reduce(0, +) == logitRows.count else {
            throw InferenceError.invalidRequest("the token choices must cover the \(logitRows.count) logit rows once each")
        }
        lock.lock()
        defer { lock.unlock() }
        // greedy choices draw nothing: no uniforms go up
        let draws = choices.contains { if case let .device(t, _, _) = $0.rule { return t > 0 } else { return false } }
        guard let (ws, drawn) = try run(tokens: tokens, slots: slots, positions: positions, logitRows: logitRows, cache: cache,
                                        adapters: adapters, uniforms: draws ? uniforms : nil) else { return [] }
        let vocab = config.vocabSize
        var chosen = [ChosenRow](repeating: .token(-1), count: logitRows.count)
        var onDevice = false
        for choice in choices where !choice.rows.isEmpty {
            let (start, count) = (choice.rows.lowerBound, choice.rows.count)
            switch choice.rule {
            case let .device(temperature, topK, topP):
                try backend.sample(rows: count, width: vocab, logits: ws.logits.rows(start, count), temperature: temperature,
                                   topK: topK, topP: topP, uniforms: temperature > 0 ? drawn?.rows(start, count) : nil,
                                   out: ws.choices.rows(start, count))
                onDevice = true
            case .host:
                let logits = try ws.logits.buffer.download(Float.self, count: count * vocab,
                                                           at: ws.logits.byteOffset / 4 + start * vocab)
                for r in 0..<count { chosen[start + r] = .logits(Array(logits[(r * vocab)..<((r + 1) * vocab)])) }
            }
        }
        if onDevice {
            let ids = try ws.choices.buffer.download(Int32.self, count: logitRows.count, at: ws.choices.byteOffset / 4)
            for choice in choices { if case .device = choice.rule { for j in choice.rows { chosen[j] = .token(ids[j]) } } }
        }
        return chosen
    }

    /// The forward pass; the logits of `logitRows` are left in the workspace (nil when none were asked
    /// for), with the device copy of `uniforms` when given. The step's inputs go up in one upload.
    private func run(tokens: [Int32], slots: [Int32], positions: [Int32], logitRows: [Int], cache: KVCache,
                     adapters: AdapterSelection?, uniforms: [Float]?) throws -> (Workspace, DeviceTensor?)? {
        let m = tokens.count
        passes += 1
        guard m > 0, slots.count == m, positions.count == m else {
            throw InferenceError.invalidRequest("forward needs the same number (> 0) of tokens, slots and positions")
        }
        for i in 0..<m {
            guard tokens[i] >= 0, Int(tokens[i]) < config.vocabSize else {
                throw InferenceError.tokenOutOfRange(id: Int(tokens[i]), vocabularySize: config.vocabSize)
            }
            guard slots[i] >= 0, Int(slots[i]) < cache.slots else {
                throw InferenceError.invalidRequest("slot \(slots[i]) is outside the cache's \(cache.slots) slots")
            }
            guard positions[i] >= 0, Int(positions[i]) < cache.capacity else {
                throw InferenceError.contextOverflow(sequence: Int(slots[i]), needed: Int(positions[i]) + 1, capacity: cache.capacity)
            }
        }
        guard logitRows.allSatisfy({ (0..<m).contains($0) }) else {
            throw InferenceError.invalidRequest("a logit row is outside the batch of \(m) rows")
        }
        let ws = try workspace(rows: m, logitRows: max(logitRows.count, 1))
        if let adapters, adapters.bank.config != config {
            throw InferenceError.invalidRequest("the adapter bank was made for another model configuration")
        }
        var inputs = StepInputs()
        let idsAt = inputs.append(tokens), slotsAt = inputs.append(slots), positionsAt = inputs.append(positions)
        let stagedLoRA = try adapters.flatMap { try LoRAPass.stage($0, rows: m, into: &inputs) }
        let uniformsAt = uniforms.map { inputs.append($0) }
        let uploaded = try inputs.upload(into: scratch)
        let ids = uploaded.tensor(at: idsAt, shape: [m])
        let slotTensor = uploaded.tensor(at: slotsAt, shape: [m])
        let positionTensor = uploaded.tensor(at: positionsAt, shape: [m])
        let draws = uniformsAt.map { uploaded.tensor(at: $0, shape: [logitRows.count]) }
        let lora = try stagedLoRA?.bind(uploaded, pool: scratch)
        let step = { try self.encode(rows: m, ids: ids, slots: slotTensor, positions: positionTensor, logitRows: logitRows,
                                     cache: cache, lora: lora, workspace: ws) }
        // a decode-shaped step (every row a logit row) is replayed from a recorded graph where the
        // backend records them
        if let graphs, logitRows.elementsEqual(0..<m) {
            let bank = stagedLoRA == nil ? nil : adapters?.bank
            let key = StepGraphs.Key(rows: m, lora: stagedLoRA.map { [$0.fused ? 1 : 0, $0.kSlots, $0.planCount, $0.tables.count] },
                                     workspace: ObjectIdentifier(ws), cache: ObjectIdentifier(cache), bank: bank.map(ObjectIdentifier.init),
                                     bankGeneration: stagedLoRA?.bank.generation ?? 0, scratchGeneration: scratch.generation)
            try graphs.run(key, workspace: ws, cache: cache, bank: bank, step: step)
        } else {
            try step()
        }
        for i in 0..<m {
            let slot = Int(slots[i])
            cache.lengths[slot] = max(cache.lengths[slot], Int(positions[i]) + 1)
        }
        guard !logitRows.isEmpty else { return nil }
        return (ws, draws)
    }

    /// The step's ops, on inputs already on the backend: embedding, the layers, and the final norm and LM
    /// head of `logitRows` (their logits left in `ws.logits`). Only ops: a recorded graph replays them.
    private func encode(rows m: Int, ids: DeviceTensor, slots: DeviceTensor, positions: DeviceTensor, logitRows: [Int],
                        cache: KVCache, lora: LoRAPass?, workspace ws: Workspace) throws {
        let b = backend, c = config
        let eps = Float(c.rmsNormEps)
        let heads = c.numAttentionHeads, kvHeads = c.kvHeads, headDim = c.headDimension
        try b.embedding(rows: m, ids: ids, table: weights.embedTokens, out: ws.hidden)
        // y (+)= x W^T + bias of one layer's projection, plus the rows' adapters when it has any
        func project(_ p: Projection, layer index: Int, x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor?,
                     accumulate: Bool = false, y: DeviceTensor) throws {
            if let lora {
                try lora.project(layer: index, projection: p, x: x, weight: weight, bias: bias, accumulate: accumulate,
                                 y: y, backend: b)
            } else {
                try b.gemm(rows: m, x: x, weight: weight, bias: bias, accumulate: accumulate, y: y)
            }
        }
        for (index, layer) in weights.layers.enumerated() {
            let kv = cache.layers[index]
            try b.rmsnorm(rows: m, x: ws.hidden, weight: layer.inputNorm, eps: eps, y: ws.normed)
            try project(.qProj, layer: index, x: ws.normed, weight: layer.qProj, bias: layer.qBias, y: ws.q)
            try project(.kProj, layer: index, x: ws.normed, weight: layer.kProj, bias: layer.kBias, y: ws.k)
            try project(.vProj, layer: index, x: ws.normed, weight: layer.vProj, bias: layer.vBias, y: ws.v)
            try b.ropeKVStore(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: headDim, q: ws.q, k: ws.k,
                              v: ws.v, positions: positions, inverseFrequencies: inverseFrequencies, cache: kv, slots: slots)
            try b.attention(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim, q: ws.q, cache: kv,
                            slots: slots, positions: positions, window: architecture.slidingWindow ?? 0,
                            scale: 1 / Float(headDim).squareRoot(), out: ws.attention)
            // residual: hidden += attention * o_proj^T
            try project(.oProj, layer: index, x: ws.attention, weight: layer.oProj, bias: layer.oBias, accumulate: true, y: ws.hidden)
            try b.rmsnorm(rows: m, x: ws.hidden, weight: layer.postAttentionNorm, eps: eps, y: ws.normed)
            try project(.gateProj, layer: index, x: ws.normed, weight: layer.gateProj, bias: layer.gateBias, y: ws.gate)
            try project(.upProj, layer: index, x: ws.normed, weight: layer.upProj, bias: layer.upBias, y: ws.up)
            try b.siluMul(rows: m, width: c.intermediateSize, gate: ws.gate, up: ws.up, out: ws.gate)
            try project(.downProj, layer: index, x: ws.gate, weight: layer.downProj, bias: layer.downBias, accumulate: true, y: ws.hidden)
        }
        guard !logitRows.isEmpty else { return }
        // the final norm of the logit rows: one launch per run of consecutive rows (a decode step's rows
        // are all consecutive: one launch; a prefill asks for each prompt's last row)
        var j = 0
        while j < logitRows.count {
            var run = 1
            while j + run < logitRows.count, logitRows[j + run] == logitRows[j] + run { run += 1 }
            try b.rmsnorm(rows: run, x: ws.hidden.rows(logitRows[j], run), weight: weights.norm, eps: eps, y: ws.finalRows.rows(j, run))
            j += run
        }
        try b.gemm(rows: logitRows.count, x: ws.finalRows, weight: weights.lmHead, bias: nil, y: ws.logits)
    }
}
