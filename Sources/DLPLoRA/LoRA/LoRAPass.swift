// LoRAPass.swift: the adapter work of one forward pass. Its plan tables go up with the step's other
// inputs (StepInputs, one upload); then it runs each adapted projection with the adapters' share: fused
// (the product, the shrink and the expand for all slots of all rows as one gemm_lora) or, for the
// reference path, the product and then one adapter slot at a time. Its buffers come from a pool that
// only grows, so steady decoding allocates nothing.

/// Device buffers that persist across forward passes and grow on demand, by name.
final class ScratchPool {
    private let backend: KernelBackend
    private var buffers: [String: DeviceBuffer] = [:]
    /// Times a buffer was replaced by a larger one (a recorded step naming the old one is stale).
    private(set) var generation = 0

    init(backend: KernelBackend) { self.backend = backend }

    /// A tensor of `count` 4-byte elements (f32 or i32) backed by the buffer named `key`.
    func tensor(_ key: String, count: Int, shape: [Int]) throws -> DeviceTensor {
        let bytes = max(count, 1) * 4
        if let existing = buffers[key], existing.bytes >= bytes {
            return DeviceTensor(buffer: existing, dtype: .f32, shape: shape)
        }
        let grown = try backend.allocate(bytes: max(bytes, (buffers[key]?.bytes ?? 0) * 2))
        buffers[key] = grown
        generation += 1
        return DeviceTensor(buffer: grown, dtype: .f32, shape: shape)
    }
}

struct LoRAPass {
    let bank: AdapterBank.Snapshot
    let rows: Int
    /// One shrink and expand for all slots (false: the reference path, one slot at a time).
    let fused: Bool
    /// Fused: one table of all slots. Unfused: one single-slot table per slot.
    let tables: [KernelBackend.LoRAPlanTensors]
    let t: DeviceTensor          // f32 [rows, kSlots * rMax] for the largest rank in the bank

    /// The plan tables of a selection, staged for the step's one upload.
    struct Staged {
        let bank: AdapterBank.Snapshot
        let rows: Int
        let fused: Bool
        let kSlots: Int
        let planCount: Int
        let planOfRow: Int               // word offsets in the step's inputs
        let tables: [(adapters: Int, weights: Int, kSlots: Int)]

        /// The pass over the uploaded tables, with its intermediate t from the pool.
        func bind(_ inputs: StepInputs.Uploaded, pool: ScratchPool) throws -> LoRAPass {
            let planOfRowTensor = inputs.tensor(at: planOfRow, shape: [rows])
            let plans = tables.map { table in
                KernelBackend.LoRAPlanTensors(kSlots: table.kSlots, planCount: planCount,
                                              planAdapters: inputs.tensor(at: table.adapters, shape: [planCount, table.kSlots]),
                                              planWeights: inputs.tensor(at: table.weights, shape: [planCount, table.kSlots]),
                                              planOfRow: planOfRowTensor)
            }
            let rMax = max(bank.maxRank, 1)
            let t = try pool.tensor("lora_t", count: rows * kSlots * rMax, shape: [rows, kSlots * rMax])
            return LoRAPass(bank: bank, rows: rows, fused: fused, tables: plans, t: t)
        }
    }

    /// Stages the plan tables of `selection` for `rows` rows into `inputs`, or returns nil when no row
    /// uses an adapter.
    static func stage(_ selection: AdapterSelection, rows: Int, into inputs: inout StepInputs) throws -> Staged? {
        guard selection.planOfRow.count == rows else {
            throw InferenceError.invalidRequest("\(selection.planOfRow.count) plan indices for \(rows) rows")
        }
        guard selection.planOfRow.allSatisfy({ $0 >= -1 && Int($0) < selection.plans.count }) else {
            throw InferenceError.invalidRequest("a row points at a plan outside the \(selection.plans.count) given")
        }
        guard selection.planOfRow.contains(where: { $0 >= 0 }) else { return nil }
        let bank = selection.bank.snapshot()
        let (adapters, weights) = try selection.resolved(names: bank.names)
        let k = selection.kSlots, plans = selection.plans.count
        let planOfRow = inputs.append(selection.planOfRow)
        var tables: [(adapters: Int, weights: Int, kSlots: Int)] = []
        if selection.fused {
            tables.append((inputs.append(adapters), inputs.append(weights), k))
        } else {
            for s in 0..<k {
                tables.append((inputs.append((0..<plans).map { adapters[$0 * k + s] }),
                               inputs.append((0..<plans).map { weights[$0 * k + s] }), 1))
            }
        }
        return Staged(bank: bank, rows: rows, fused: selection.fused, kSlots: k, planCount: plans, planOfRow: planOfRow, tables: tables)
    }

    /// The projection `y (+)= x W^T + bias` of `layer` with the adapters' share: when fused, one gemm_lora
    /// (product, shrink and expand); unfused, the product and then one shrink and expand per slot.
    func project(layer: Int, projection: Projection, x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor?,
                 accumulate: Bool, y: DeviceTensor, backend: KernelBackend) throws {
        guard fused, let stack = bank.stack(layer: layer, projection: projection) else {
            try backend.gemm(rows: rows, x: x, weight: weight, bias: bias, accumulate: accumulate, y: y)
            try apply(layer: layer, projection: projection, x: x, y: y, backend: backend)
            return
        }
        try backend.gemmLoRA(rows: rows, x: x, weight: weight, bias: bias, accumulate: accumulate, y: y, bank: stack,
                             plans: tables[0], t: t)
    }

    /// y += the adapters' share of projection `projection` of `layer`, whose input is x (f32 [rows, d_in]).
    func apply(layer: Int, projection: Projection, x: DeviceTensor, y: DeviceTensor, backend: KernelBackend) throws {
        guard let stack = bank.stack(layer: layer, projection: projection) else { return }
        for table in tables {
            try backend.loraShrink(rows: rows, x: x, ldx: stack.dIn, bank: stack, plans: table, t: t)
            try backend.loraExpand(rows: rows, t: t, bank: stack, plans: table, y: y, ldy: stack.dOut)
        }
    }
}
