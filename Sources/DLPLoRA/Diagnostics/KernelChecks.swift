// KernelChecks.swift: every op of the kernel table on seeded random inputs of several shapes and dtypes,
// run on the backend under test and on the reference, compared per op. Shapes cover the vectorized and
// the scalar paths (k a multiple of 8 or not), decode-sized and prefill-sized batches (GEMV and cuBLAS on
// CUDA), a sequence long enough to split attention, rows without adapters and adapters of several ranks.
import Foundation

enum KernelChecks {
    static let f32Tolerance = 1e-4
    static func tolerance(_ dtype: DType) -> Double { dtype == .f32 ? f32Tolerance : 1e-3 }

    /// Every check; each runs on its own (`SelfTestCheck.guarded`), so an op that fails is one line of
    /// the table and the others still run.
    static func all(_ pair: BackendPair) -> [SelfTestCheck] {
        var checks: [SelfTestCheck] = []
        func run(_ name: String, _ shape: String, _ dtype: String = "-", _ body: () throws -> [SelfTestCheck]) {
            checks += SelfTestCheck.guarded(name, shape, dtype, on: pair.target, body)
        }
        for dtype in DType.floatTypes {
            // n from 50 to 4302: a device GEMV splits k over 8, 4, 2 or 1 warps per output as n grows, and
            // gives a warp 1, 2 or 4 columns as m grows (n 130 and 4302 leave the last warp 2); k 1040, 1096
            // and 2604 stage activations in shared memory in two passes (the second short, then a scalar tail)
            for (m, n, k, bias, accumulate) in [(1, 64, 96, false, false), (3, 50, 77, true, true), (8, 130, 200, false, true),
                                                (5, 600, 264, true, false), (2, 1100, 72, false, true), (1, 2200, 40, true, false),
                                                (8, 2200, 1096, false, true), (3, 1100, 2604, true, false),
                                                (6, 4302, 1040, true, true),
                                                (33, 96, 128, true, false), (64, 72, 136, false, true)] {
                run("gemm", "m=\(m) n=\(n) k=\(k)", dtype.rawValue) { [try gemm(pair, m: m, n: n, k: k, dtype: dtype, bias: bias, accumulate: accumulate)] }
            }
            run("embedding", "m=7 vocab=100 dim=64", dtype.rawValue) { [try embedding(pair, m: 7, vocab: 100, dim: 64, dtype: dtype)] }
            run("rmsnorm", "m=4 d=96", dtype.rawValue) { [try rmsnorm(pair, m: 4, d: 96, dtype: dtype)] }
        }
        let rowInterleaved = [DType.q4_0x8, .q4_1x8, .q8_0x8].filter { pair.target.weightDTypes.contains($0) }
        for dtype in [DType.q4_0, .q4_1, .q5_0, .q8_0, .q3_K, .q4_K, .q6_K] + rowInterleaved {
            for (m, n, k) in [(1, 70, 512), (5, 40, 256), (33, 72, 512)] {
                run("gemm", "m=\(m) n=\(n) k=\(k)", dtype.rawValue) { [try quantizedGemm(pair, m: m, n: n, k: k, dtype: dtype)] }
            }
            run("embedding", "m=7 vocab=50 dim=256", dtype.rawValue) { [try embedding(pair, m: 7, vocab: 50, dim: 256, dtype: dtype)] }
        }
        run("rope", "m=5 heads=4 head_dim=32") { [try rope(pair, m: 5, heads: 4, headDim: 32, rotaryDim: 32)] }
        run("rope", "m=3 heads=2 head_dim=64 rotary=32") { [try rope(pair, m: 3, heads: 2, headDim: 64, rotaryDim: 32)] }
        for (m, heads, kvHeads, headDim, rotaryDim) in [(5, 4, 2, 32, 32), (3, 2, 1, 64, 32), (20, 6, 2, 48, 48)] {
            run("rope_kv_store", "m=\(m) heads=\(heads)/\(kvHeads) head_dim=\(headDim) rotary=\(rotaryDim)") {
                try ropeKVStore(pair, m: m, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: rotaryDim)
            }
        }
        for (heads, kvHeads, headDim, capacity, window) in [(4, 2, 32, 64, 0), (4, 4, 64, 1500, 0), (6, 2, 48, 300, 5), (2, 1, 128, 40, 0)] {
            run("attention", "heads=\(heads)/\(kvHeads) head_dim=\(headDim) capacity=\(capacity) window=\(window)") {
                try attention(pair, heads: heads, kvHeads: kvHeads, headDim: headDim, capacity: capacity, window: window)
            }
        }
        run("silu_mul", "m=3 n=200") { [try siluMul(pair, m: 3, n: 200)] }
        run("add", "n=1000") { [try add(pair, n: 1000)] }
        run("argmax", "m=4 n=3000") { [try argmax(pair, m: 4, n: 3000)] }
        for (rows, kSlots, dIn, dOut, bank) in [(1, 1, 96, 80, DType.f32), (6, 3, 96, 80, .f32), (32, 4, 64, 200, .f32),
                                                 (12, 3, 64, 200, .f32),
                                                 (1, 3, 96, 80, .f16), (6, 3, 64, 200, .f16), (5, 2, 96, 80, .bf16),
                                                 (3, 3, 64, 1100, .f16), (7, 8, 64, 5, .f16), (4, 2, 100, 70, .bf16)] {
            run("lora", "rows=\(rows) K=\(kSlots) d_in=\(dIn) d_out=\(dOut)", bank.rawValue) {
                try lora(pair, rows: rows, kSlots: kSlots, dIn: dIn, dOut: dOut, bankDtype: bank)
            }
        }
        // prefill's shape: each sentence's rows are one contiguous run under one plan (the tiled form's segments)
        // (and ranks past 16 with d_in past 512: the device's prefill shrink, which takes over once its tiles
        // fill the GPU (800 rows, K=3), makes several passes over rank indices and over x, with a scalar tail;
        // d_in 1101 takes its unaligned path)
        let bigRanks: [Int32] = [20, 33, 0, 5, 17]
        for (runs, kSlots, dIn, dOut, bank, ranks) in [([13, 7, 12, 8], 3, 96, 200, DType.bf16, defaultLoRARanks),
                                                       ([3, 30, 1, 9], 2, 64, 80, .f32, defaultLoRARanks),
                                                       ([9, 11, 4, 16], 2, 1100, 72, .f32, bigRanks),
                                                       ([12, 20], 3, 1030, 40, .bf16, bigRanks),
                                                       ([300, 200, 150, 150], 3, 1100, 72, .f32, bigRanks),
                                                       ([500, 300], 3, 1096, 40, .bf16, bigRanks),
                                                       ([400, 400], 3, 1101, 40, .f32, bigRanks)] {
            let rows = runs.reduce(0, +)
            run("lora", "segments \(runs) K=\(kSlots) d_in=\(dIn) d_out=\(dOut)", bank.rawValue) {
                try lora(pair, rows: rows, kSlots: kSlots, dIn: dIn, dOut: dOut, bankDtype: bank, segments: runs, ranks: ranks)
            }
        }
        return checks
    }

    static func gemm(_ pair: BackendPair, m: Int, n: Int, k: Int, dtype: DType, bias: Bool, accumulate: Bool) throws -> SelfTestCheck {
        let x = try pair.upload(pair.floats(m * k), shape: [m, k])
        let w = try pair.upload(pair.floats(n * k, scale: 0.2), dtype: dtype, shape: [n, k])
        let b = bias ? try pair.upload(pair.floats(n), dtype: dtype, shape: [n]) : nil
        let y = try pair.upload(pair.floats(m * n), shape: [m, n])
        try pair.both { backend, side in
            let pick = { (t: (DeviceTensor, DeviceTensor)) in side == .target ? t.0 : t.1 }
            try backend.gemm(rows: m, x: pick(x), weight: pick(w), bias: b.map(pick), accumulate: accumulate, y: pick(y))
        }
        return SelfTestCheck(name: "gemm", shape: "m=\(m) n=\(n) k=\(k)\(bias ? " +bias" : "")\(accumulate ? " +=y" : "")",
                             dtype: dtype.rawValue, maxError: try pair.relativeError(y, count: m * n), tolerance: tolerance(dtype))
    }

    /// gemm with block-quantized weights (+ bias, accumulating): see BackendPair.upload(blocksOf:).
    static func quantizedGemm(_ pair: BackendPair, m: Int, n: Int, k: Int, dtype: DType) throws -> SelfTestCheck {
        let x = try pair.upload(pair.floats(m * k), shape: [m, k])
        let w = try pair.upload(blocksOf: dtype, rows: n, cols: k)
        let b = try pair.upload(pair.floats(n), shape: [n])
        let y = try pair.upload(pair.floats(m * n), shape: [m, n])
        try pair.both { backend, side in
            let pick = { (t: (DeviceTensor, DeviceTensor)) in side == .target ? t.0 : t.1 }
            try backend.gemm(rows: m, x: pick(x), weight: pick(w), bias: pick(b), accumulate: true, y: pick(y))
        }
        return SelfTestCheck(name: "gemm", shape: "m=\(m) n=\(n) k=\(k) +bias +=y", dtype: dtype.rawValue,
                             maxError: try pair.relativeError(y, count: m * n), tolerance: f32Tolerance)
    }

    /// embedding of m random ids from a table of float values, or (a block format) random blocks.
    static func embedding(_ pair: BackendPair, m: Int, vocab: Int, dim: Int, dtype: DType) throws -> SelfTestCheck {
        let ids = try pair.upload(ints: pair.ints(m, in: 0..<Int32(vocab)), shape: [m])
        let table = dtype.isQuantized ? try pair.upload(blocksOf: dtype, rows: vocab, cols: dim)
                                      : try pair.upload(pair.floats(vocab * dim), dtype: dtype, shape: [vocab, dim])
        let out = try pair.upload([Float](repeating: 0, count: m * dim), shape: [m, dim])
        try pair.both { backend, side in
            side == .target ? try backend.embedding(rows: m, ids: ids.0, table: table.0, out: out.0)
                            : try backend.embedding(rows: m, ids: ids.1, table: table.1, out: out.1)
        }
        return SelfTestCheck(name: "embedding", shape: "m=\(m) vocab=\(vocab) dim=\(dim)", dtype: dtype.rawValue,
                             maxError: try pair.relativeError(out, count: m * dim), tolerance: f32Tolerance)
    }

    static func rmsnorm(_ pair: BackendPair, m: Int, d: Int, dtype: DType) throws -> SelfTestCheck {
        let x = try pair.upload(pair.floats(m * d, scale: 3), shape: [m, d])
        let w = try pair.upload(pair.floats(d), dtype: dtype, shape: [d])
        let y = try pair.upload([Float](repeating: 0, count: m * d), shape: [m, d])
        try pair.both { backend, side in
            side == .target ? try backend.rmsnorm(rows: m, x: x.0, weight: w.0, eps: 1e-6, y: y.0)
                            : try backend.rmsnorm(rows: m, x: x.1, weight: w.1, eps: 1e-6, y: y.1)
        }
        return SelfTestCheck(name: "rmsnorm", shape: "m=\(m) d=\(d)", dtype: dtype.rawValue,
                             maxError: try pair.relativeError(y, count: m * d), tolerance: f32Tolerance)
    }

    static func rope(_ pair: BackendPair, m: Int, heads: Int, headDim: Int, rotaryDim: Int) throws -> SelfTestCheck {
        let x = try pair.upload(pair.floats(m * heads * headDim), shape: [m, heads * headDim])
        let positions = try pair.upload(ints: pair.ints(m, in: 0..<4096), shape: [m])
        let inv = (0..<(rotaryDim / 2)).map { Float(pow(10000.0, -2.0 * Double($0) / Double(rotaryDim))) }
        let frequencies = try pair.upload(inv, shape: [inv.count])
        try pair.both { backend, side in
            side == .target
                ? try backend.rope(rows: m, heads: heads, headDim: headDim, rotaryDim: rotaryDim, x: x.0, positions: positions.0, inverseFrequencies: frequencies.0)
                : try backend.rope(rows: m, heads: heads, headDim: headDim, rotaryDim: rotaryDim, x: x.1, positions: positions.1, inverseFrequencies: frequencies.1)
        }
        return SelfTestCheck(name: "rope", shape: "m=\(m) heads=\(heads) head_dim=\(headDim) rot=\(rotaryDim)", dtype: "-",
                             maxError: try pair.relativeError(x, count: m * heads * headDim), tolerance: f32Tolerance)
    }

    /// The fused op on the target against rope, rope and kv_store on the reference: q, k and both caches
    /// (two slots of 24 positions; each row at its own (slot, position)).
    static func ropeKVStore(_ pair: BackendPair, m: Int, heads: Int, kvHeads: Int, headDim: Int, rotaryDim: Int) throws -> [SelfTestCheck] {
        let capacity = 24, qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let q = try pair.upload(pair.floats(m * qWidth), shape: [m, qWidth])
        let k = try pair.upload(pair.floats(m * kvWidth), shape: [m, kvWidth])
        let v = try pair.upload(pair.floats(m * kvWidth), shape: [m, kvWidth])
        let positions = try pair.upload(ints: (0..<m).map { Int32(($0 * 7 + 3) % capacity) }, shape: [m])
        let slots = try pair.upload(ints: (0..<m).map { Int32(($0 * 7 + 3) / capacity % 2) }, shape: [m])
        let inv = (0..<(rotaryDim / 2)).map { Float(pow(10000.0, -2.0 * Double($0) / Double(rotaryDim))) }
        let frequencies = try pair.upload(inv, shape: [inv.count])
        let cacheCount = 2 * kvHeads * capacity * headDim
        let keys = try pair.upload([Float](repeating: 0, count: cacheCount), shape: [2, kvHeads, capacity, headDim])
        let values = try pair.upload([Float](repeating: 0, count: cacheCount), shape: [2, kvHeads, capacity, headDim])
        try pair.both { backend, side in
            let t = side == .target
            let cache = KVCache.Layer(keys: t ? keys.0 : keys.1, values: t ? values.0 : values.1, slots: 2, capacity: capacity)
            if t {
                try backend.ropeKVStore(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: rotaryDim, q: q.0, k: k.0,
                                        v: v.0, positions: positions.0, inverseFrequencies: frequencies.0, cache: cache, slots: slots.0)
            } else {
                try backend.rope(rows: m, heads: heads, headDim: headDim, rotaryDim: rotaryDim, x: q.1, positions: positions.1,
                                 inverseFrequencies: frequencies.1)
                try backend.rope(rows: m, heads: kvHeads, headDim: headDim, rotaryDim: rotaryDim, x: k.1, positions: positions.1,
                                 inverseFrequencies: frequencies.1)
                try backend.kvStore(rows: m, kvHeads: kvHeads, headDim: headDim, k: k.1, v: v.1, cache: cache, slots: slots.1,
                                    positions: positions.1)
            }
        }
        let shape = "m=\(m) heads=\(heads)/\(kvHeads) hd=\(headDim) rot=\(rotaryDim)"
        let error = max(try pair.relativeError(q, count: m * qWidth), try pair.relativeError(k, count: m * kvWidth),
                        try pair.relativeError(keys, count: cacheCount), try pair.relativeError(values, count: cacheCount))
        return [SelfTestCheck(name: "rope_kv_store", shape: shape, dtype: "-", maxError: error, tolerance: f32Tolerance)]
    }

    /// Two slots: a prefill of most of the capacity in slot 0, then single decode rows in both slots,
    /// attended all together (prefill-sized) and the three decode rows alone (few rows over a long
    /// sequence: the split-sequence path on CUDA).
    static func attention(_ pair: BackendPair, heads: Int, kvHeads: Int, headDim: Int, capacity: Int, window: Int) throws -> [SelfTestCheck] {
        let prefill = capacity - 4
        var slotsOfRows = [Int32](repeating: 0, count: prefill), positionsOfRows = (0..<prefill).map(Int32.init)
        slotsOfRows += [1, 1, 0]
        positionsOfRows += [0, 1, Int32(prefill)]
        let m = slotsOfRows.count, qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let layer = { (backend: KernelBackend) throws -> KVCache.Layer in
            let shape = [2, kvHeads, capacity, headDim], bytes = shape.reduce(1, *) * 4
            return KVCache.Layer(keys: DeviceTensor(buffer: try backend.allocate(bytes: bytes), dtype: .f32, shape: shape),
                                 values: DeviceTensor(buffer: try backend.allocate(bytes: bytes), dtype: .f32, shape: shape),
                                 slots: 2, capacity: capacity)
        }
        let caches = (try layer(pair.target), try layer(pair.reference))
        let q = try pair.upload(pair.floats(m * qWidth), shape: [m, qWidth])
        let k = try pair.upload(pair.floats(m * kvWidth), shape: [m, kvWidth])
        let v = try pair.upload(pair.floats(m * kvWidth), shape: [m, kvWidth])
        let slots = try pair.upload(ints: slotsOfRows, shape: [m])
        let positions = try pair.upload(ints: positionsOfRows, shape: [m])
        let out = try pair.upload([Float](repeating: 0, count: m * qWidth), shape: [m, qWidth])
        let decodeOut = try pair.upload([Float](repeating: 0, count: 3 * qWidth), shape: [3, qWidth])
        let scale = 1 / Float(headDim).squareRoot()
        try pair.both { backend, side in
            let t = side == .target
            let cache = t ? caches.0 : caches.1
            let (rowSlots, rowPositions) = t ? (slots.0, positions.0) : (slots.1, positions.1)
            try backend.kvStore(rows: m, kvHeads: kvHeads, headDim: headDim, k: t ? k.0 : k.1, v: t ? v.0 : v.1, cache: cache,
                                slots: rowSlots, positions: rowPositions)
            try backend.attention(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim, q: t ? q.0 : q.1, cache: cache,
                                  slots: rowSlots, positions: rowPositions, window: window, scale: scale, out: t ? out.0 : out.1)
            try backend.attention(rows: 3, heads: heads, kvHeads: kvHeads, headDim: headDim, q: (t ? q.0 : q.1).rows(m - 3, 3),
                                  cache: cache, slots: rowSlots.rows(m - 3, 3), positions: rowPositions.rows(m - 3, 3),
                                  window: window, scale: scale, out: t ? decodeOut.0 : decodeOut.1)
        }
        let shape = "heads=\(heads)/\(kvHeads) hd=\(headDim) ctx=\(capacity)\(window > 0 ? " win=\(window)" : "")"
        return [SelfTestCheck(name: "kv_store+attention", shape: "rows=\(m) " + shape, dtype: "-",
                              maxError: try pair.relativeError(out, count: m * qWidth), tolerance: f32Tolerance),
                SelfTestCheck(name: "attention decode", shape: "rows=3 " + shape, dtype: "-",
                              maxError: try pair.relativeError(decodeOut, count: 3 * qWidth), tolerance: f32Tolerance)]
    }

    static func siluMul(_ pair: BackendPair, m: Int, n: Int) throws -> SelfTestCheck {
        let gate = try pair.upload(pair.floats(m * n, scale: 4), shape: [m, n])
        let up = try pair.upload(pair.floats(m * n), shape: [m, n])
        try pair.both { backend, side in
            side == .target ? try backend.siluMul(rows: m, width: n, gate: gate.0, up: up.0, out: gate.0)
                            : try backend.siluMul(rows: m, width: n, gate: gate.1, up: up.1, out: gate.1)
        }
        return SelfTestCheck(name: "silu_mul", shape: "m=\(m) n=\(n)", dtype: "-",
                             maxError: try pair.relativeError(gate, count: m * n), tolerance: f32Tolerance)
    }

    static func add(_ pair: BackendPair, n: Int) throws -> SelfTestCheck {
        let x = try pair.upload(pair.floats(n), shape: [n])
        let y = try pair.upload(pair.floats(n), shape: [n])
        try pair.both { backend, side in
            side == .target ? try backend.add(count: n, x: x.0, into: y.0) : try backend.add(count: n, x: x.1, into: y.1)
        }
        return SelfTestCheck(name: "add", shape: "n=\(n)", dtype: "-", maxError: try pair.relativeError(y, count: n), tolerance: f32Tolerance)
    }

    static func argmax(_ pair: BackendPair, m: Int, n: Int) throws -> SelfTestCheck {
        var values = pair.floats(m * n)
        values[n + 17] = 5; values[n + 900] = 5            // a tie in row 1: the lower index wins
        let x = try pair.upload(values, shape: [m, n])
        let out = try pair.upload(ints: [Int32](repeating: -1, count: m), shape: [m])
        try pair.both { backend, side in
            side == .target ? try backend.argmax(rows: m, width: n, x: x.0, out: out.0) : try backend.argmax(rows: m, width: n, x: x.1, out: out.1)
        }
        return SelfTestCheck(name: "argmax", shape: "m=\(m) n=\(n) (with a tie)", dtype: "-",
                             maxError: try pair.mismatches(out, count: m), tolerance: 0)
    }

    static let defaultLoRARanks: [Int32] = [4, 8, 0, 2, 8]

    /// Shrink then expand over a bank of 5 adapters (by default ranks 4, 8, 0, 2, 8; r_max the largest), plans with empty
    /// slots, and a row without adapters; and gemm_lora (product, shrink and expand as one op) against
    /// gemm, lora_shrink and lora_expand on the reference. Rows take random plans, or with `segments`
    /// (run lengths summing to `rows`) one plan per contiguous run, in turn plans 0, none, 1, 2.
    static func lora(_ pair: BackendPair, rows: Int, kSlots: Int, dIn: Int, dOut: Int, bankDtype: DType,
                     segments: [Int] = [], ranks: [Int32] = defaultLoRARanks) throws -> [SelfTestCheck] {
        let rMax = Int(ranks.max() ?? 1), count = ranks.count
        var a = pair.floats(count * rMax * dIn, scale: 0.3), b = pair.floats(count * rMax * dOut, scale: 0.3)
        for (i, r) in ranks.enumerated() {                  // zero padding past each rank, as the bank stores it
            for j in Int(r)..<rMax {
                for c in 0..<dIn { a[(i * rMax + j) * dIn + c] = 0 }
                for c in 0..<dOut { b[(i * rMax + j) * dOut + c] = 0 }
            }
        }
        let plans = 3
        var planAdapters = pair.ints(plans * kSlots, in: 0..<Int32(count))
        if kSlots > 1 { planAdapters[kSlots - 1] = -1 }     // an empty slot
        let planWeights = pair.floats(plans * kSlots)
        var planOfRow = pair.ints(rows, in: 0..<Int32(plans))
        if rows > 1 { planOfRow[rows - 1] = -1 }            // a row on the base model alone
        if !segments.isEmpty {
            let planOfRun: [Int32] = [0, -1, 1, 2]
            planOfRow = segments.enumerated().flatMap { run, length in
                [Int32](repeating: planOfRun[run % planOfRun.count], count: length)
            }
        }
        let x = try pair.upload(pair.floats(rows * dIn), shape: [rows, dIn])
        let y = try pair.upload(pair.floats(rows * dOut), shape: [rows, dOut])
        let t = try pair.upload([Float](repeating: 0, count: rows * kSlots * rMax), shape: [rows, kSlots * rMax])
        let aBank = try pair.upload(a, dtype: bankDtype, shape: [count, rMax, dIn])
        let bBank = try pair.upload(b, dtype: bankDtype, shape: [count, rMax, dOut])
        let rankTensor = try pair.upload(ints: ranks, shape: [count])
        let scales = try pair.upload([0.5, 2, 1, 4, 0.25], shape: [count])
        let adapters = try pair.upload(ints: planAdapters, shape: [plans, kSlots])
        let weights = try pair.upload(planWeights, shape: [plans, kSlots])
        let rowPlans = try pair.upload(ints: planOfRow, shape: [rows])
        // gemm_lora on the tested backend against gemm then lora_expand on the reference
        let w = try pair.upload(pair.floats(dOut * dIn, scale: 0.2), dtype: .f16, shape: [dOut, dIn])
        let bias = try pair.upload(pair.floats(dOut), shape: [dOut])
        let fused = try pair.upload(pair.floats(rows * dOut), shape: [rows, dOut])
        let fusedT = try pair.upload([Float](repeating: 0, count: rows * kSlots * rMax), shape: [rows, kSlots * rMax])
        try pair.both { backend, side in
            let s = side == .target
            let stack = AdapterBank.Stack(dIn: dIn, dOut: dOut, rMax: rMax, adapterCount: count, a: s ? aBank.0 : aBank.1,
                                          b: s ? bBank.0 : bBank.1, ranks: s ? rankTensor.0 : rankTensor.1, scales: s ? scales.0 : scales.1)
            let table = KernelBackend.LoRAPlanTensors(kSlots: kSlots, planCount: plans, planAdapters: s ? adapters.0 : adapters.1,
                                                      planWeights: s ? weights.0 : weights.1, planOfRow: s ? rowPlans.0 : rowPlans.1)
            try backend.loraShrink(rows: rows, x: s ? x.0 : x.1, ldx: dIn, bank: stack, plans: table, t: s ? t.0 : t.1)
            try backend.loraExpand(rows: rows, t: s ? t.0 : t.1, bank: stack, plans: table, y: s ? y.0 : y.1, ldy: dOut)
            if s {
                try backend.gemmLoRA(rows: rows, x: x.0, weight: w.0, bias: bias.0, accumulate: true, y: fused.0,
                                     bank: stack, plans: table, t: fusedT.0)
            } else {
                try backend.gemm(rows: rows, x: x.1, weight: w.1, bias: bias.1, accumulate: true, y: fused.1)
                try backend.loraShrink(rows: rows, x: x.1, ldx: dIn, bank: stack, plans: table, t: fusedT.1)
                try backend.loraExpand(rows: rows, t: fusedT.1, bank: stack, plans: table, y: fused.1, ldy: dOut)
            }
        }
        let shape = (segments.isEmpty ? "rows=\(rows)" : "segments \(segments)") + " K=\(kSlots) r<=\(rMax) \(dIn)->\(dOut)"
        return [SelfTestCheck(name: "lora_shrink", shape: shape, dtype: bankDtype.rawValue,
                              maxError: try pair.relativeError(t, count: rows * kSlots * rMax), tolerance: f32Tolerance),
                SelfTestCheck(name: "lora_expand", shape: shape, dtype: bankDtype.rawValue,
                              maxError: try pair.relativeError(y, count: rows * dOut), tolerance: f32Tolerance),
                SelfTestCheck(name: "gemm_lora", shape: shape + " +bias +=y, f16 W", dtype: bankDtype.rawValue,
                              maxError: max(try pair.relativeError(fused, count: rows * dOut),
                                            try pair.relativeError(fusedT, count: rows * kSlots * rMax)),
                              tolerance: tolerance(.f16))]
    }
}
