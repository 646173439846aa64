// KernelBackend+Ops.swift: one throwing Swift method per op of the kernel table, taking DeviceTensors and
// explicit row counts. Shapes are documented in dlp_kernels.h; these wrappers only pass them through.
import CKernels

extension KernelBackend {
    /// y[m, n] = beta * y + x[m, k] * w[n, k]^T + bias[n]. x and y are f32; w and bias in their dtype.
    func gemm(rows m: Int, x: DeviceTensor, ldx: Int? = nil, weight w: DeviceTensor, bias: DeviceTensor?,
              accumulate: Bool = false, y: DeviceTensor, ldy: Int? = nil) throws {
        let n = w.shape[0], k = w.shape[1]
        try run("gemm") { try entry(table.gemm, "gemm")(
            context, Int64(m), Int64(n), Int64(k), x.floats, Int64(ldx ?? k), w.address, w.dtype.kernelType, Int64(k),
            bias?.address, (bias?.dtype ?? .f32).kernelType, accumulate ? 1 : 0, y.floats, Int64(ldy ?? n)) }
    }

    /// out[i, :] = table[ids[i], :] for m rows.
    func embedding(rows m: Int, ids: DeviceTensor, table weights: DeviceTensor, out: DeviceTensor) throws {
        try run("embedding") { try entry(table.embedding, "embedding")(
            context, Int64(m), ids.int32s, weights.address, weights.dtype.kernelType, Int64(weights.shape[0]),
            Int64(weights.shape[1]), out.floats, Int64(weights.shape[1])) }
    }

    /// RMSNorm of m rows of width d = weight.count.
    func rmsnorm(rows m: Int, x: DeviceTensor, weight: DeviceTensor, eps: Float, y: DeviceTensor) throws {
        let d = weight.count
        try run("rmsnorm") { try entry(table.rmsnorm, "rmsnorm")(
            context, Int64(m), Int64(d), x.floats, Int64(d), weight.address, weight.dtype.kernelType, eps,
            y.floats, Int64(d)) }
    }

    /// Rotary embedding in place on m rows of heads x headDim.
    func rope(rows m: Int, heads: Int, headDim: Int, rotaryDim: Int, x: DeviceTensor,
              positions: DeviceTensor, inverseFrequencies: DeviceTensor) throws {
        try run("rope") { try entry(table.rope, "rope")(
            context, Int64(m), Int64(heads), Int64(headDim), Int64(rotaryDim), x.floats, Int64(heads * headDim),
            positions.int32s, inverseFrequencies.floats) }
    }

    /// Stores m rows of keys and values into the cache at their (slot, position).
    func kvStore(rows m: Int, kvHeads: Int, headDim: Int, k: DeviceTensor, v: DeviceTensor,
                 cache: KVCache.Layer, slots: DeviceTensor, positions: DeviceTensor) throws {
        let width = Int64(kvHeads * headDim)
        try run("kv_store") { try entry(table.kv_store, "kv_store")(
            context, Int64(m), Int64(kvHeads), Int64(headDim), k.floats, width, v.floats, width,
            cache.keys.floats, cache.values.floats, Int64(cache.slots), Int64(cache.capacity),
            slots.int32s, positions.int32s) }
    }

    /// Rotary embedding of q (heads) and k (kvHeads) in place, then k and v stored into the cache at each
    /// row's (slot, position): rope, rope and kvStore as one op.
    func ropeKVStore(rows m: Int, heads: Int, kvHeads: Int, headDim: Int, rotaryDim: Int, q: DeviceTensor, k: DeviceTensor,
                     v: DeviceTensor, positions: DeviceTensor, inverseFrequencies: DeviceTensor, cache: KVCache.Layer,
                     slots: DeviceTensor) throws {
        let qWidth = Int64(heads * headDim), kvWidth = Int64(kvHeads * headDim)
        try run("rope_kv_store") { try entry(table.rope_kv_store, "rope_kv_store")(
            context, Int64(m), Int64(heads), Int64(kvHeads), Int64(headDim), Int64(rotaryDim), q.floats, qWidth, k.floats, kvWidth,
            v.floats, kvWidth, positions.int32s, inverseFrequencies.floats, cache.keys.floats, cache.values.floats,
            Int64(cache.slots), Int64(cache.capacity), slots.int32s) }
    }

    /// Causal attention of m query rows over the cache.
    func attention(rows m: Int, heads: Int, kvHeads: Int, headDim: Int, q: DeviceTensor, cache: KVCache.Layer,
                   slots: DeviceTensor, positions: DeviceTensor, window: Int, scale: Float, out: DeviceTensor) throws {
        let width = Int64(heads * headDim)
        try run("attention") { try entry(table.attention, "attention")(
            context, Int64(m), Int64(heads), Int64(kvHeads), Int64(headDim), q.floats, width,
            cache.keys.floats, cache.values.floats, Int64(cache.slots), Int64(cache.capacity),
            slots.int32s, positions.int32s, Int32(clamping: window), scale, out.floats, width) }
    }

    /// out = silu(gate) * up over m rows of width n.
    func siluMul(rows m: Int, width n: Int, gate: DeviceTensor, up: DeviceTensor, out: DeviceTensor) throws {
        try run("silu_mul") { try entry(table.silu_mul, "silu_mul")(
            context, Int64(m), Int64(n), gate.floats, Int64(n), up.floats, Int64(n), out.floats, Int64(n)) }
    }

    /// Waits for the queued ops; a device error an op raised asynchronously is reported here.
    func synchronize() throws {
        try run("synchronize") { try entry(table.synchronize, "synchronize")(context) }
    }

    /// y[0..<count] += x[0..<count].
    func add(count: Int, x: DeviceTensor, into y: DeviceTensor) throws {
        try run("add") { try entry(table.add, "add")(context, Int64(count), x.floats, y.floats) }
    }

    /// out[i] = argmax of row i, for m rows of width n.
    func argmax(rows m: Int, width n: Int, x: DeviceTensor, out: DeviceTensor) throws {
        try run("argmax") { try entry(table.argmax, "argmax")(context, Int64(m), Int64(n), x.floats, Int64(n), out.int32s) }
    }
}

extension KernelBackend {
    /// The per-batch plan tensors the multi-LoRA kernels read.
    struct LoRAPlanTensors {
        let kSlots: Int
        let planCount: Int
        let planAdapters: DeviceTensor   // i32 [plans, kSlots]
        let planWeights: DeviceTensor    // f32 [plans, kSlots]
        let planOfRow: DeviceTensor      // i32 [rows]
    }

    /// t = (weight * scale) * A x for every slot of every row's plan. x: f32 [m, dIn]; t: f32 [m, kSlots * rMax].
    func loraShrink(rows m: Int, x: DeviceTensor, ldx: Int, bank: AdapterBank.Stack, plans: LoRAPlanTensors, t: DeviceTensor) throws {
        try run("lora_shrink") { try entry(table.lora_shrink, "lora_shrink")(
            context, Int64(m), Int64(bank.dIn), Int64(bank.rMax), Int64(plans.kSlots), x.floats, Int64(ldx),
            bank.a.address, bank.a.dtype.kernelType, Int64(bank.adapterCount), bank.ranks.int32s, bank.scales.floats, Int64(plans.planCount),
            plans.planAdapters.int32s, plans.planWeights.floats, plans.planOfRow.int32s, t.floats) }
    }

    /// One adapted projection: y (+)= x W^T + bias + the expand of the shrink of x (loraShrink then loraExpand),
    /// as one op. x: f32 [m, dIn]; y: f32 [m, dOut]; t: f32 [m, kSlots * rMax] scratch, left holding the shrink.
    func gemmLoRA(rows m: Int, x: DeviceTensor, weight w: DeviceTensor, bias: DeviceTensor?, accumulate: Bool,
                  y: DeviceTensor, bank: AdapterBank.Stack, plans: LoRAPlanTensors, t: DeviceTensor) throws {
        let n = w.shape[0], k = w.shape[1]
        guard bank.dOut == n, bank.dIn == k else {
            throw InferenceError.invalidRequest("gemm_lora: an adapter stack of \(bank.dIn)->\(bank.dOut) for a weight of \(k)->\(n)")
        }
        guard bank.a.dtype == bank.b.dtype else {
            throw InferenceError.invalidRequest("gemm_lora: an adapter stack with A in \(bank.a.dtype.rawValue) and B in \(bank.b.dtype.rawValue)")
        }
        try run("gemm_lora") { try entry(table.gemm_lora, "gemm_lora")(
            context, Int64(m), Int64(n), Int64(k), x.floats, Int64(k), w.address, w.dtype.kernelType, Int64(k),
            bias?.address, (bias?.dtype ?? .f32).kernelType, accumulate ? 1 : 0, y.floats, Int64(n),
            Int64(bank.rMax), Int64(plans.kSlots), bank.a.address, bank.b.address, bank.b.dtype.kernelType,
            Int64(bank.adapterCount), bank.ranks.int32s, bank.scales.floats, Int64(plans.planCount),
            plans.planAdapters.int32s, plans.planWeights.floats, plans.planOfRow.int32s, t.floats) }
    }

    /// y += B t over every slot. y: f32 [m, dOut] (ld ldy).
    func loraExpand(rows m: Int, t: DeviceTensor, bank: AdapterBank.Stack, plans: LoRAPlanTensors, y: DeviceTensor, ldy: Int) throws {
        try run("lora_expand") { try entry(table.lora_expand, "lora_expand")(
            context, Int64(m), Int64(bank.dOut), Int64(bank.rMax), Int64(plans.kSlots), t.floats, bank.b.address,
            bank.b.dtype.kernelType, Int64(bank.adapterCount), bank.ranks.int32s, Int64(plans.planCount), plans.planAdapters.int32s,
            plans.planOfRow.int32s, y.floats, Int64(ldy)) }
    }
}

extension KernelBackend {
    /// out[i] = the token drawn from row i of logits (f32 [m, n]) by the nucleus rule, with uniforms f32 [m].
    func sample(rows m: Int, width n: Int, logits: DeviceTensor, temperature: Float, topK: Int, topP: Float,
                uniforms: DeviceTensor?, out: DeviceTensor) throws {
        try run("sample") { try entry(table.sample, "sample")(
            context, Int64(m), Int64(n), logits.floats, Int64(n), temperature, Int32(clamping: topK), topP,
            uniforms?.floats, out.int32s) }
    }

    /// out[i] = the mean of table rows features[offsets[i] ..< offsets[i + 1]] for s sentences.
    func embeddingBag(sentences s: Int, embedding: DeviceTensor, features: DeviceTensor, offsets: DeviceTensor, out: DeviceTensor) throws {
        let rows = embedding.shape[0], dim = embedding.shape[1]
        try run("embedding_bag") { try entry(table.embedding_bag, "embedding_bag")(
            context, Int64(s), embedding.floats, Int64(rows), Int64(dim), features.int32s, offsets.int32s, out.floats, Int64(dim)) }
    }

    /// x = max(x, 0) over m rows of width n.
    func relu(rows m: Int, width n: Int, x: DeviceTensor) throws {
        try run("relu") { try entry(table.relu, "relu")(context, Int64(m), Int64(n), x.floats, Int64(n)) }
    }

    /// Plan rows (adapters i32 [s, kMax], weights f32 [s, kMax]) from router logits f32 [s, classes].
    func routeTopP(sentences s: Int, classes: Int, logits: DeviceTensor, selection: TopPSelection,
                   planAdapters: DeviceTensor, planWeights: DeviceTensor) throws {
        let weighting: Int32 = selection.weighting == .softmax ? 0 : 1
        try run("route_top_p") { try entry(table.route_top_p, "route_top_p")(
            context, Int64(s), Int64(classes), logits.floats, Int64(classes), selection.p,
            Int32(clamping: max(selection.maxAdapters, 1)), weighting, planAdapters.int32s, planWeights.floats) }
    }
}
