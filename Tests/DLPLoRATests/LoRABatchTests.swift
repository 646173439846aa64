// LoRABatchTests.swift: plans per row. Three sequences with three different plans in one batch give the
// logits each gives alone; a bank of 100 adapters gives the same result as a bank of only the 3 used;
// fused equals unfused (and a plain Swift reference) on random banks of ranks 1..64 and K 1..8.
import Testing
@testable import DLPLoRA

/// A random adapter on `projections` of every layer.
func randomAdapter(_ name: String, config: ModelConfig, rank: Int, projections: [Projection], seed: UInt64) throws -> LoRAAdapter {
    var random = TestRandom(seed)
    var weights: [Int: [Projection: (a: [Float], b: [Float])]] = [:]
    for layer in 0..<config.numHiddenLayers {
        for p in projections {
            let (dIn, dOut) = p.dimensions(config)
            weights[layer, default: [:]][p] = (random.floats(rank * dIn, scale: 0.3), random.floats(dOut * rank, scale: 0.3))
        }
    }
    return try LoRAAdapter(name: name, baseConfig: config, rank: rank, alpha: Double(2 * rank), weights: weights)
}

@Suite struct LoRABatchTests {
    @Test func threePlansInOneBatchEqualEachAlone() throws {
        let fixture = try LoRAFixture("tiny-llama")
        let model = fixture.model, vocab = model.config.vocabSize
        let plans = [try FusionPlan(parsing: "r8_all=0.7,r4_rslora=0.45,layer1_only=0.3"),
                     try FusionPlan(parsing: "rank_pattern"), try FusionPlan(parsing: "all_linear=0.5,r8_all=-0.2")]
        let prompts: [[Int32]] = [[1, 17, 301, 44, 260], [1, 88, 140], [1, 250, 9, 33]]
        let steps: [Int32] = [5, 77]
        var alone: [[Float]] = []
        for (i, prompt) in prompts.enumerated() {
            let cache = try model.makeCache(slots: 1, capacity: 16)
            func selection(_ rows: Int) -> AdapterSelection { AdapterSelection(bank: fixture.bank, plans: [plans[i]], planOfRow: Array(repeating: 0, count: rows)) }
            var logits = try model.forward(tokens: prompt, slots: Array(repeating: 0, count: prompt.count), positions: (0..<prompt.count).map(Int32.init),
                                           logitRows: [prompt.count - 1], cache: cache, adapters: selection(prompt.count))
            for (s, token) in steps.enumerated() {
                logits += try model.forward(tokens: [token], slots: [0], positions: [Int32(prompt.count + s)], logitRows: [0], cache: cache, adapters: selection(1))
            }
            alone.append(logits)
        }
        let cache = try model.makeCache(slots: 3, capacity: 16)
        var tokens: [Int32] = [], slots: [Int32] = [], positions: [Int32] = [], last: [Int] = []
        for (i, p) in prompts.enumerated() {
            tokens += p; slots += Array(repeating: Int32(i), count: p.count); positions += (0..<p.count).map(Int32.init); last.append(tokens.count - 1)
        }
        var together = [[Float]](repeating: [], count: 3)
        let prefill = try model.forward(tokens: tokens, slots: slots, positions: positions, logitRows: last, cache: cache,
                                        adapters: AdapterSelection(bank: fixture.bank, plans: plans, planOfRow: slots))
        for i in 0..<3 { together[i] += prefill[(i * vocab)..<((i + 1) * vocab)] }
        for (s, token) in steps.enumerated() {
            let out = try model.forward(tokens: [token, token, token], slots: [0, 1, 2], positions: prompts.map { Int32($0.count + s) },
                                        logitRows: [0, 1, 2], cache: cache, adapters: AdapterSelection(bank: fixture.bank, plans: plans, planOfRow: [0, 1, 2]))
            for i in 0..<3 { together[i] += out[(i * vocab)..<((i + 1) * vocab)] }
        }
        for i in 0..<3 { #expect(maxAbsDifference(together[i], alone[i]) < 1e-5, "sequence \(i)") }
    }

    @Test func hundredLoadedAdaptersGiveTheSameResultAsTheThreeUsed() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        let config = model.config
        let used = try [("x", 4, [Projection.qProj, .vProj]), ("y", 8, [.qProj, .vProj, .downProj]), ("z", 2, Projection.allCases)]
            .enumerated().map { try randomAdapter($0.element.0, config: config, rank: $0.element.1, projections: $0.element.2, seed: UInt64($0.offset)) }
        let small = AdapterBank(config: config, backend: Fixtures.cpu)
        for a in used { try small.add(a) }
        let large = AdapterBank(config: config, backend: Fixtures.cpu)
        for i in 0..<97 {
            if i == 10 { try large.add(used[0]) }
            if i == 50 { try large.add(used[1]) }
            try large.add(try randomAdapter("filler\(i)", config: config, rank: 1 + i % 16, projections: [.qProj, .vProj, .oProj], seed: UInt64(100 + i)))
        }
        try large.add(used[2])
        #expect(large.names.count == 100)
        let plan = try FusionPlan(parsing: "x=0.5,y=0.3,z=0.2")
        let ids: [Int32] = [1, 17, 301, 44, 260]
        func run(_ bank: AdapterBank) throws -> [Float] {
            try model.forward(tokens: ids, slots: Array(repeating: 0, count: 5), positions: (0..<5).map(Int32.init), logitRows: Array(0..<5),
                              cache: try model.makeCache(slots: 1, capacity: 8),
                              adapters: AdapterSelection(bank: bank, plans: [plan], planOfRow: Array(repeating: 0, count: 5)))
        }
        #expect(maxAbsDifference(try run(small), try run(large)) < 1e-6)
        try large.unload(name: "y")
        #expect(throws: AdapterError.unknownAdapter("y", loaded: large.names)) { try run(large) }
    }

    /// The kernels alone: random banks, ranks 1..64, K 1..8, every row its own plan.
    @Test(arguments: [1, 2, 3, 5, 8])
    func fusedEqualsUnfusedAndTheReference(k: Int) throws {
        let b = Fixtures.cpu
        var random = TestRandom(UInt64(1000 + k))
        let dIn = 96, dOut = 80, n = 12, m = 7
        let ranks: [Int32] = (0..<n).map { $0 == 3 ? 0 : Int32([1, 2, 4, 7, 8, 16, 33, 64][$0 % 8]) }
        let rMax = Int(ranks.max()!)
        let scales = random.floats(n).map { 0.5 + abs($0) }
        var aBank = [Float](repeating: 0, count: n * rMax * dIn), bBank = [Float](repeating: 0, count: n * dOut * rMax)
        for a in 0..<n {
            for j in 0..<Int(ranks[a]) {
                for c in 0..<dIn { aBank[(a * rMax + j) * dIn + c] = random.floats(1)[0] }
                for o in 0..<dOut { bBank[(a * rMax + j) * dOut + o] = random.floats(1)[0] }
            }
        }
        let plans = 4
        var planAdapters = [Int32](repeating: -1, count: plans * k), planWeights = [Float](repeating: 0, count: plans * k)
        for p in 0..<plans {
            for s in 0..<k where !(p == 1 && s == k - 1 && k > 1) {          // plan 1 leaves its last slot empty
                planAdapters[p * k + s] = Int32((p * 5 + s * 3) % n)
                planWeights[p * k + s] = random.floats(1)[0]
            }
        }
        let planOfRow: [Int32] = [0, 1, 2, 3, -1, 2, 0]
        let x = random.floats(m * dIn), y0 = random.floats(m * dOut)
        let stack = AdapterBank.Stack(dIn: dIn, dOut: dOut, rMax: rMax, adapterCount: n,
                                      a: try deviceTensor(b, floats: aBank, shape: [n, rMax, dIn]), b: try deviceTensor(b, floats: bBank, shape: [n, rMax, dOut]),
                                      ranks: try deviceTensor(b, ints: ranks), scales: try deviceTensor(b, floats: scales, shape: [n]))
        let xT = try deviceTensor(b, floats: x, shape: [m, dIn]), rowsT = try deviceTensor(b, ints: planOfRow)
        func run(_ tables: [KernelBackend.LoRAPlanTensors]) throws -> [Float] {
            let y = try deviceTensor(b, floats: y0, shape: [m, dOut])
            let t = try deviceTensor(b, floats: [Float](repeating: 0, count: m * k * rMax), shape: [m, k * rMax])
            for table in tables {
                try b.loraShrink(rows: m, x: xT, ldx: dIn, bank: stack, plans: table, t: t)
                try b.loraExpand(rows: m, t: t, bank: stack, plans: table, y: y, ldy: dOut)
            }
            return try values(y)
        }
        let fused = try run([.init(kSlots: k, planCount: plans, planAdapters: try deviceTensor(b, ints: planAdapters),
                                   planWeights: try deviceTensor(b, floats: planWeights, shape: [plans, k]), planOfRow: rowsT)])
        let unfused = try run(try (0..<k).map { s in
            .init(kSlots: 1, planCount: plans, planAdapters: try deviceTensor(b, ints: (0..<plans).map { planAdapters[$0 * k + s] }),
                  planWeights: try deviceTensor(b, floats: (0..<plans).map { planWeights[$0 * k + s] }, shape: [plans, 1]), planOfRow: rowsT)
        })
        var expected = y0
        for i in 0..<m where planOfRow[i] >= 0 {
            let p = Int(planOfRow[i])
            for s in 0..<k {
                let a = Int(planAdapters[p * k + s])
                guard a >= 0 else { continue }
                for j in 0..<Int(ranks[a]) {
                    var dot = 0.0
                    for c in 0..<dIn { dot += Double(x[i * dIn + c]) * Double(aBank[(a * rMax + j) * dIn + c]) }
                    let coefficient = Double(planWeights[p * k + s]) * Double(scales[a]) * dot
                    for o in 0..<dOut { expected[i * dOut + o] += Float(coefficient * Double(bBank[(a * rMax + j) * dOut + o])) }
                }
            }
        }
        #expect(maxAbsDifference(fused, unfused) < 1e-5)
        #expect(maxAbsDifference(fused, expected) < 1e-4)
    }
}

@Suite struct AdapterStorageTests {
    /// An f16 or bf16 model stacks its adapters in its own dtype (half the bytes per token); the logits
    /// stay within that dtype's rounding of the f32 bank's: the difference, relative to how far the
    /// adapters move the logits, below 1e-3 for f16 (11 bits of mantissa; measured 3e-4) and 1e-2 for
    /// bf16 (8 bits; measured 4e-3).
    @Test(arguments: [("tiny-mistral", DType.f16, Float(1e-3)), ("tiny-qwen2", DType.bf16, Float(1e-2))])
    func halfBankOnAHalfModelMatchesTheF32Bank(fixture: String, half: DType, relativeTolerance: Float) throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path(fixture), backend: Fixtures.cpu)
        #expect(model.adapterStorage == half)
        let adapters = try [("x", 4), ("y", 8)].enumerated().map {
            try randomAdapter($0.element.0, config: model.config, rank: $0.element.1, projections: Projection.allCases, seed: UInt64(7 + $0.offset))
        }
        let plan = try FusionPlan(parsing: "x=0.7,y=0.3")
        func logits(_ storage: DType) throws -> [Float] {
            let bank = AdapterBank(config: model.config, backend: Fixtures.cpu, storage: storage)
            for a in adapters { try bank.add(a) }
            #expect(bank.storage == storage)
            return try model.forward(tokens: [1, 88, 140, 511], slots: [0, 0, 0, 0], positions: [0, 1, 2, 3], logitRows: [3],
                                     cache: try model.makeCache(capacity: 8),
                                     adapters: AdapterSelection(bank: bank, plans: [plan], planOfRow: [0, 0, 0, 0]))
        }
        let f32 = try logits(.f32), halfBank = try logits(half)
        let base = try model.forward(tokens: [1, 88, 140, 511], slots: [0, 0, 0, 0], positions: [0, 1, 2, 3], logitRows: [3],
                                     cache: try model.makeCache(capacity: 8))
        #expect(maxAbsDifference(f32, base) > 1e-2, "the adapters must change the logits for the comparison to mean something")
        print("[\(fixture)] \(half.rawValue) bank vs f32 bank: max |diff| \(maxAbsDifference(halfBank, f32)); adapters move the logits by \(maxAbsDifference(f32, base))")
        #expect(maxAbsDifference(halfBank, f32) < relativeTolerance * maxAbsDifference(f32, base))
        let f32Bytes = AdapterBank(config: model.config, backend: Fixtures.cpu, storage: .f32)
        let halfBytes = AdapterBank(config: model.config, backend: Fixtures.cpu, storage: half)
        for a in adapters { try f32Bytes.add(a); try halfBytes.add(a) }
        #expect(halfBytes.byteCount < f32Bytes.byteCount * 6 / 10)
    }

    /// gemm_lora gives bit-identical rows on 1, 2 and 3 threads and in batches of 1 to 5 rows: each value
    /// is computed by the same kernel however rows and threads are split (ranks 3, 4 and 6 mix
    /// four-at-once groups with single rank indices, so a split inside a group would show).
    @Test func gemmLoRAIsBatchAndThreadInvariant() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        func run(threads: Int, rows: Int) throws -> [Float] {
            let backend = try KernelBackend.cpu(threads: threads)
            let bank = AdapterBank(config: model.config, backend: backend)
            for (i, rank) in [3, 4, 6].enumerated() {
                try bank.add(try LoRAAdapter.random(name: "a\(i)", config: model.config, rank: rank, projections: [.downProj], seed: UInt64(i + 7)))
            }
            let stack = try #require(bank.snapshot().stack(layer: 0, projection: .downProj))
            var random = TestRandom(11)
            let x = random.floats(5 * stack.dIn), w = random.floats(stack.dOut * stack.dIn)
            let table = KernelBackend.LoRAPlanTensors(
                kSlots: 3, planCount: 2, planAdapters: try deviceTensor(backend, ints: [0, 1, 2, 2, 1, 0]),
                planWeights: try deviceTensor(backend, floats: [0.5, 0.3, 0.2, 0.7, 0.1, 0.3], shape: [2, 3]),
                planOfRow: try deviceTensor(backend, ints: Array([0, 1, 0, 1, 0].prefix(rows))))
            let y = try deviceTensor(backend, floats: [Float](repeating: 0, count: rows * stack.dOut), shape: [rows, stack.dOut])
            try backend.gemmLoRA(rows: rows, x: try deviceTensor(backend, floats: Array(x.prefix(rows * stack.dIn)), shape: [rows, stack.dIn]),
                                 weight: try deviceTensor(backend, floats: w, shape: [stack.dOut, stack.dIn]), bias: nil,
                                 accumulate: false, y: y, bank: stack, plans: table,
                                 t: try deviceTensor(backend, floats: [Float](repeating: 0, count: rows * 3 * stack.rMax), shape: [rows, 3 * stack.rMax]))
            return try values(y)
        }
        let reference = try run(threads: 1, rows: 5)
        for threads in 1...3 {
            for rows in 1...5 {
                let y = try run(threads: threads, rows: rows)
                #expect(y == Array(reference.prefix(y.count)), "\(threads) threads, \(rows) rows")
            }
        }
    }

    /// The bank indexes its stacks by Projection.index, which must follow allCases; a snapshot finds
    /// exactly the stacks the adapters change and knows their largest rank.
    @Test func snapshotIndexesEveryProjection() throws {
        #expect(Projection.allCases.enumerated().allSatisfy { $0.offset == $0.element.index })
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        let bank = AdapterBank(config: model.config, backend: Fixtures.cpu)
        try bank.add(try LoRAAdapter.random(name: "qv", config: model.config, rank: 3, projections: [.qProj, .vProj], seed: 1))
        try bank.add(try LoRAAdapter.random(name: "down", config: model.config, rank: 5, projections: [.downProj], seed: 2))
        let snapshot = bank.snapshot()
        #expect(snapshot.maxRank == 5)
        for layer in 0..<model.config.numHiddenLayers {
            for p in Projection.allCases {
                let stack = snapshot.stack(layer: layer, projection: p)
                #expect((stack != nil) == [.qProj, .vProj, .downProj].contains(p))
                #expect(stack.map { $0.dIn == p.dimensions(model.config).0 && $0.dOut == p.dimensions(model.config).1 } ?? true)
            }
        }
        #expect(snapshot.stack(layer: model.config.numHiddenLayers, projection: .qProj) == nil)
    }

    /// A stack with a value beyond f16's range stays f32 in an f16 bank (the others are f16).
    @Test func valuesBeyondF16StayF32() throws {
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-mistral"), backend: Fixtures.cpu)
        var weights: [Int: [Projection: (a: [Float], b: [Float])]] = [:]
        let rank = 2
        for layer in 0..<model.config.numHiddenLayers {
            for p in [Projection.qProj, .vProj] {
                let (dIn, dOut) = p.dimensions(model.config)
                var b = [Float](repeating: 0.01, count: dOut * rank)
                if layer == 0, p == .qProj { b[0] = 70_000 }
                weights[layer, default: [:]][p] = ([Float](repeating: 0.01, count: rank * dIn), b)
            }
        }
        let bank = AdapterBank(config: model.config, backend: Fixtures.cpu, storage: .f16)
        try bank.add(try LoRAAdapter(name: "big", baseConfig: model.config, rank: rank, alpha: 2, weights: weights))
        let snapshot = bank.snapshot()
        #expect(snapshot.stack(layer: 0, projection: .qProj)?.b.dtype == .f32)
        #expect(snapshot.stack(layer: 0, projection: .vProj)?.b.dtype == .f16)
        #expect(snapshot.stack(layer: 1, projection: .qProj)?.a.dtype == .f16)
    }
}
