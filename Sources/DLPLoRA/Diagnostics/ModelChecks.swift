// ModelChecks.swift: whole models on the backend under test against the reference backend: the tiny
// fixture models (f32 Llama, bf16 Qwen2, f16 sharded Mistral, and tiny-llama in GGUF Q8_0, kept
// quantized) prefill and decode, the fused multi-LoRA path against the unfused one (one adapter at
// a time) on the tested backend, and, where the backend records graphs, decode steps replayed from a
// recorded graph against the same steps run op by op.
import Foundation

enum ModelChecks {
    static let fixtureModels = ["tiny-llama", "tiny-qwen2", "tiny-mistral", "gguf/tiny-llama-q8_0.gguf"]
    static let prompt: [Int32] = [1, 17, 301, 44, 260, 9, 33]
    static let decodeSteps: [Int32] = [5, 77, 140]

    /// Logits tolerance (absolute) for a model whose weights are in `dtypes`: 1e-4 in f32, 2e-2 otherwise.
    static func tolerance(_ dtypes: [DType: Int]) -> Double { dtypes.keys.allSatisfy { $0 == .f32 } ? 1e-4 : 2e-2 }

    static func all(_ pair: BackendPair, fixtures: String) -> [SelfTestCheck] {
        var checks: [SelfTestCheck] = []
        for name in fixtureModels {
            let path = (fixtures as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            checks += SelfTestCheck.guarded("model \(name)", "prefill \(prompt.count) + decode \(decodeSteps.count)", "-", on: pair.target) {
                let (target, _) = try ModelLoader.load(path: path, backend: pair.target)
                // a device computes quantized weights on f32 activations: its reference is the exact f32
                // computation; the CPU's integer path is compared with the CPU's scalar integer path
                let (reference, _) = try ModelLoader.load(path: path, backend: pair.reference,
                                                          dequantize: pair.target.name != "cpu")
                let error = maxAbsDifference(try logits(target, adapters: nil), try logits(reference, adapters: nil))
                let dtype = target.weightBytes.keys.map(\.rawValue).sorted().joined(separator: "+")
                return [SelfTestCheck(name: "model \(name)", shape: "prefill \(prompt.count) + decode \(decodeSteps.count)",
                                      dtype: dtype, maxError: error, tolerance: tolerance(target.weightBytes))]
            }
        }
        for name in ["tiny-llama", "tiny-mistral", "tiny-qwen2"] {   // f32 bank, the f16 bank of an f16 model, bf16 of bf16
            let path = (fixtures as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) {
                checks += SelfTestCheck.guarded("fused lora \(name)", "K=3", "-", on: pair.target) { try fusedLoRA(pair, path: path) }
            }
        }
        let graphed = (fixtures as NSString).appendingPathComponent("tiny-llama")
        if pair.target.recordsGraphs, FileManager.default.fileExists(atPath: graphed) {
            checks += SelfTestCheck.guarded("decode graphs", "tiny-llama, 8 steps", "-", on: pair.target) { try decodeGraphs(pair, path: graphed) }
        }
        return checks
    }

    /// Eight decode steps of tiny-llama with a K=2 adapter mix, replayed from recorded graphs (whatever
    /// DLP_GRAPHS says), against the same steps run op by op on the same backend: one row on a short
    /// cache, and 12 rows (a third on the base model) on a 600-position cache (a device then takes its
    /// batched product and splits attention over the sequence). Equal up to 1e-6, with at least six
    /// replayed steps each.
    static func decodeGraphs(_ pair: BackendPair, path: String) throws -> [SelfTestCheck] {
        let (model, _) = try ModelLoader.load(path: path, backend: pair.target)
        let config = model.config
        let adapters = try randomAdapters(pair, config: config, ranks: [("a", 8), ("b", 4)])
        let bank = AdapterBank(config: config, backend: model.backend, storage: model.adapterStorage)
        try bank.add(adapters)
        let plan = try FusionPlan(parsing: "a=0.7,b=0.3")
        func run(rows: Int, capacity: Int) throws -> [Float] {
            let cache = try model.makeCache(slots: rows, capacity: capacity)
            let n = prompt.count
            _ = try model.forward(tokens: Array((0..<rows).map { _ in prompt }.joined()),
                                  slots: (0..<rows).flatMap { Array(repeating: Int32($0), count: n) },
                                  positions: Array((0..<rows).map { _ in (0..<n).map(Int32.init) }.joined()), logitRows: [], cache: cache)
            let selection = AdapterSelection(bank: bank, plans: [plan], planOfRow: (0..<rows).map { $0 % 3 == 2 ? -1 : 0 })
            var out: [Float] = []
            for step in 0..<8 {
                out += try model.forward(tokens: (0..<rows).map { Int32(5 + 11 * step + $0) }, slots: (0..<rows).map(Int32.init),
                                         positions: Array(repeating: Int32(n + step), count: rows), logitRows: Array(0..<rows),
                                         cache: cache, adapters: selection)
            }
            return out
        }
        return try [(1, 32), (12, 600)].map { rows, capacity in
            model.graphs = StepGraphs(backend: model.backend, environment: [:])
            let replayed = try run(rows: rows, capacity: capacity)
            let replays = model.graphs?.replays ?? 0
            model.graphs = nil
            let eager = try run(rows: rows, capacity: capacity)
            return SelfTestCheck(name: "decode graphs", shape: "tiny-llama, \(rows) x 8 steps (\(replays) replayed), context \(capacity), K=2",
                                 dtype: model.adapterStorage.rawValue,
                                 maxError: replays >= 6 ? maxAbsDifference(replayed, eager) : .infinity, tolerance: 1e-6)
        }
    }

    /// Three random adapters (ranks 4, 8, 2, all seven projections), one K=3 plan, in the bank dtype the
    /// model picks: fused against unfused on the tested backend, and fused against the reference backend.
    static func fusedLoRA(_ pair: BackendPair, path: String) throws -> [SelfTestCheck] {
        let (target, _) = try ModelLoader.load(path: path, backend: pair.target)
        let (reference, _) = try ModelLoader.load(path: path, backend: pair.reference)
        let config = target.config
        let adapters = try randomAdapters(pair, config: config, ranks: [("a", 4), ("b", 8), ("c", 2)])
        let plan = try FusionPlan(parsing: "a=0.6,b=0.3,c=0.1")
        func selection(_ model: TransformerModel, fused: Bool) throws -> (Int) -> AdapterSelection {
            let bank = AdapterBank(config: config, backend: model.backend, storage: model.adapterStorage)
            for adapter in adapters { try bank.add(adapter) }
            return { rows in AdapterSelection(bank: bank, plans: [plan], planOfRow: Array(repeating: 0, count: rows), fused: fused) }
        }
        let fused = try logits(target, adapters: try selection(target, fused: true))
        let unfused = try logits(target, adapters: try selection(target, fused: false))
        let onReference = try logits(reference, adapters: try selection(reference, fused: true))
        let shape = "\((path as NSString).lastPathComponent), K=3 (r 4,8,2), 7 projections"
        let bank = target.adapterStorage.rawValue, tolerance = ModelChecks.tolerance(target.weightBytes)
        return [SelfTestCheck(name: "lora fused=unfused", shape: shape, dtype: bank, maxError: maxAbsDifference(fused, unfused), tolerance: tolerance),
                SelfTestCheck(name: "lora fused vs ref", shape: shape, dtype: bank, maxError: maxAbsDifference(fused, onReference), tolerance: tolerance)]
    }

    /// Adapters of the given names and ranks on all seven projections, weights uniform in [-0.3, 0.3)
    /// from the pair's generator, alpha = 2 r.
    static func randomAdapters(_ pair: BackendPair, config: ModelConfig, ranks: [(String, Int)]) throws -> [LoRAAdapter] {
        try ranks.map { name, rank in
            var weights: [Int: [Projection: (a: [Float], b: [Float])]] = [:]
            for layer in 0..<config.numHiddenLayers {
                for p in Projection.allCases {
                    let (dIn, dOut) = p.dimensions(config)
                    weights[layer, default: [:]][p] = (pair.floats(rank * dIn, scale: 0.3), pair.floats(dOut * rank, scale: 0.3))
                }
            }
            return try LoRAAdapter(name: name, baseConfig: config, rank: rank, alpha: Double(2 * rank), weights: weights)
        }
    }

    /// Logits of every prompt row, then of each greedy-free decode step (fixed tokens), as one array.
    static func logits(_ model: TransformerModel, adapters: ((Int) -> AdapterSelection)?) throws -> [Float] {
        let cache = try model.makeCache(slots: 1, capacity: 32)
        let n = prompt.count
        var out = try model.forward(tokens: prompt, slots: Array(repeating: 0, count: n), positions: (0..<n).map(Int32.init),
                                    logitRows: Array(0..<n), cache: cache, adapters: adapters?(n))
        for (step, token) in decodeSteps.enumerated() {
            out += try model.forward(tokens: [token], slots: [0], positions: [Int32(n + step)], logitRows: [0], cache: cache,
                                     adapters: adapters?(1))
        }
        return out
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).reduce(0.0) { max($0, Double(abs($1.0 - $1.1)).isNaN ? .infinity : Double(abs($1.0 - $1.1))) }
    }
}
