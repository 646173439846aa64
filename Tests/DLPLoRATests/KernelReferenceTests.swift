// KernelReferenceTests.swift: every op of the CPU kernel table, in both its SIMD and its reference
// (scalar) implementation, against a plain Swift reference on random inputs of several shapes and
// dtypes (the llm.c way: a readable loop per op).
import CKernels
import Foundation
import Testing
@testable import DLPLoRA

/// Deterministic pseudo-random floats in [-1, 1).
struct TestRandom {
    var generator: SeededGenerator
    init(_ seed: UInt64) { generator = SeededGenerator(seed: seed) }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in Float(generator.nextUnit() * 2 - 1) * scale } }
}

/// Rounds to the dtype and returns (values as the kernel sees them, raw storage bytes).
func stored(_ values: [Float], as dtype: DType) -> (values: [Float], bytes: [UInt8]) {
    switch dtype {
    case .f32:
        return (values, values.withUnsafeBytes { Array($0) })
    case .f16:
        let raw = values.map { dlp_f32_to_f16($0) }
        return (raw.map { Float(Float16(bitPattern: $0)) }, raw.withUnsafeBytes { Array($0) })
    case .bf16:
        let raw = values.map { dlp_f32_to_bf16($0) }
        return (raw.map { Float(bitPattern: UInt32($0) << 16) }, raw.withUnsafeBytes { Array($0) })
    default:
        preconditionFailure("stored(_:as:) is for the float dtypes; block formats come from RandomBlocks")
    }
}

func deviceTensor(_ backend: KernelBackend, bytes: [UInt8], dtype: DType, shape: [Int]) throws -> DeviceTensor {
    let buffer = try backend.allocate(bytes: max(bytes.count, 4))
    try buffer.upload(bytes)
    return DeviceTensor(buffer: buffer, dtype: dtype, shape: shape)
}

func deviceTensor(_ backend: KernelBackend, floats: [Float], shape: [Int]) throws -> DeviceTensor {
    try deviceTensor(backend, bytes: floats.withUnsafeBytes { Array($0) }, dtype: .f32, shape: shape)
}

func deviceTensor(_ backend: KernelBackend, ints: [Int32]) throws -> DeviceTensor {
    try deviceTensor(backend, bytes: ints.withUnsafeBytes { Array($0) }, dtype: .f32, shape: [ints.count])
}

func values(_ t: DeviceTensor) throws -> [Float] { try t.buffer.download(Float.self, count: t.count) }

@Suite struct KernelReferenceTests {
    static let backends: [KernelBackend] = {
        do { return [try .cpu(threads: 2), try .cpu(threads: 2, referenceKernels: true)] } catch {
            preconditionFailure("CPU backend: \(error)")
        }
    }()
    static let implementations = [0, 1]   // SIMD, reference

    @Test(arguments: implementations, [DType.f32, .f16, .bf16])
    func gemm(implementation: Int, dtype: DType) throws {
        let b = Self.backends[implementation]
        var random = TestRandom(11)
        for (m, n, k) in [(1, 37, 64), (3, 37, 70), (9, 300, 64), (20, 37, 5), (1, 3000, 576), (2, 600, 1536)] {
            for (withBias, accumulate) in [(false, false), (true, false), (true, true)] {
                let x = random.floats(m * k), (w, wBytes) = stored(random.floats(n * k), as: dtype)
                let (bias, biasBytes) = stored(random.floats(n), as: dtype)
                let y0 = random.floats(m * n)
                let y = try deviceTensor(b, floats: y0, shape: [m, n])
                try b.gemm(rows: m, x: try deviceTensor(b, floats: x, shape: [m, k]),
                           weight: try deviceTensor(b, bytes: wBytes, dtype: dtype, shape: [n, k]),
                           bias: withBias ? try deviceTensor(b, bytes: biasBytes, dtype: dtype, shape: [n]) : nil,
                           accumulate: accumulate, y: y)
                var expected = [Float](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum: Double = 0
                        for t in 0..<k { sum += Double(x[i * k + t]) * Double(w[j * k + t]) }
                        if withBias { sum += Double(bias[j]) }
                        if accumulate { sum += Double(y0[i * n + j]) }
                        expected[i * n + j] = Float(sum)
                    }
                }
                #expect(maxAbsDifference(try values(y), expected) < 1e-4, "m=\(m) n=\(n) k=\(k) bias=\(withBias) acc=\(accumulate)")
            }
        }
    }

    @Test(arguments: implementations, [DType.f32, .f16, .bf16])
    func embeddingAndRMSNorm(implementation: Int, dtype: DType) throws {
        let b = Self.backends[implementation]
        var random = TestRandom(12)
        let vocab = 50, dim = 67
        let (table, tableBytes) = stored(random.floats(vocab * dim), as: dtype)
        let ids: [Int32] = [3, 49, 0, 3]
        let out = try deviceTensor(b, floats: [Float](repeating: 0, count: ids.count * dim), shape: [ids.count, dim])
        try b.embedding(rows: ids.count, ids: try deviceTensor(b, ints: ids),
                        table: try deviceTensor(b, bytes: tableBytes, dtype: dtype, shape: [vocab, dim]), out: out)
        let gathered = ids.flatMap { Array(table[(Int($0) * dim)..<(Int($0) * dim + dim)]) }
        #expect(try values(out) == gathered)

        let (w, wBytes) = stored(random.floats(dim), as: dtype)
        let normed = try deviceTensor(b, floats: [Float](repeating: 0, count: ids.count * dim), shape: [ids.count, dim])
        try b.rmsnorm(rows: ids.count, x: out, weight: try deviceTensor(b, bytes: wBytes, dtype: dtype, shape: [dim]), eps: 1e-5, y: normed)
        var expected: [Float] = []
        for i in 0..<ids.count {
            let row = gathered[(i * dim)..<((i + 1) * dim)]
            let ms = row.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(dim)
            let inv = 1 / (ms + 1e-5).squareRoot()
            expected += row.enumerated().map { Float(Double($0.element) * inv * Double(w[$0.offset])) }
        }
        #expect(maxAbsDifference(try values(normed), expected) < 1e-5)
    }

    @Test(arguments: implementations)
    func embeddingRejectsIDsOutsideTheVocabulary(implementation: Int) throws {
        let b = Self.backends[implementation]
        let out = try deviceTensor(b, floats: [0, 0], shape: [1, 2])
        #expect(throws: BackendError.self) {
            try b.embedding(rows: 1, ids: try deviceTensor(b, ints: [7]),
                            table: try deviceTensor(b, floats: [1, 2, 3, 4], shape: [2, 2]), out: out)
        }
    }

    @Test(arguments: implementations)
    func rope(implementation: Int) throws {
        let b = Self.backends[implementation]
        var random = TestRandom(13)
        let m = 3, heads = 2, headDim = 8
        let x = random.floats(m * heads * headDim)
        let positions: [Int32] = [0, 5, 17]
        let inv: [Float] = [1, 0.3, 0.01, 0.001]
        let t = try deviceTensor(b, floats: x, shape: [m, heads * headDim])
        try b.rope(rows: m, heads: heads, headDim: headDim, rotaryDim: headDim, x: t,
                   positions: try deviceTensor(b, ints: positions), inverseFrequencies: try deviceTensor(b, floats: inv, shape: [4]))
        var expected = x
        for i in 0..<m {
            for h in 0..<heads {
                let base = i * heads * headDim + h * headDim
                for j in 0..<(headDim / 2) {
                    let angle = Double(Float(positions[i]) * inv[j])
                    let a = Double(x[base + j]), c = Double(x[base + j + headDim / 2])
                    expected[base + j] = Float(a * cos(angle) - c * sin(angle))
                    expected[base + j + headDim / 2] = Float(c * cos(angle) + a * sin(angle))
                }
            }
        }
        #expect(maxAbsDifference(try values(t), expected) < 1e-5)
    }

    /// rope_kv_store equals rope, rope and kv_store bit for bit (q, k and both caches), on 1 row (the
    /// calling thread) and 20 rows (split over the pool), with a partial rotary dimension; a bad row is
    /// refused before anything is written.
    @Test(arguments: implementations, [1, 20])
    func ropeKVStoreEqualsRopeThenStore(implementation: Int, rows m: Int) throws {
        let b = Self.backends[implementation]
        var random = TestRandom(17)
        let heads = 4, kvHeads = 2, headDim = 16, rotaryDim = 8, capacity = 32
        let q = random.floats(m * heads * headDim), k = random.floats(m * kvHeads * headDim), v = random.floats(m * kvHeads * headDim)
        let positions = (0..<m).map { Int32(($0 * 5 + 1) % capacity) }, slots = (0..<m).map { Int32(($0 * 5 + 1) / capacity) }
        let inv: [Float] = [1, 0.3, 0.01, 0.001]
        func run(fused: Bool) throws -> [[Float]] {
            let tq = try deviceTensor(b, floats: q, shape: [m, heads * headDim]), tk = try deviceTensor(b, floats: k, shape: [m, kvHeads * headDim])
            let tv = try deviceTensor(b, floats: v, shape: [m, kvHeads * headDim])
            let cacheShape = [4, kvHeads, capacity, headDim], zeros = [Float](repeating: 0, count: cacheShape.reduce(1, *))
            let cache = KVCache.Layer(keys: try deviceTensor(b, floats: zeros, shape: cacheShape),
                                      values: try deviceTensor(b, floats: zeros, shape: cacheShape), slots: 4, capacity: capacity)
            let p = try deviceTensor(b, ints: positions), s = try deviceTensor(b, ints: slots), f = try deviceTensor(b, floats: inv, shape: [4])
            if fused {
                try b.ropeKVStore(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: rotaryDim, q: tq, k: tk, v: tv,
                                  positions: p, inverseFrequencies: f, cache: cache, slots: s)
            } else {
                try b.rope(rows: m, heads: heads, headDim: headDim, rotaryDim: rotaryDim, x: tq, positions: p, inverseFrequencies: f)
                try b.rope(rows: m, heads: kvHeads, headDim: headDim, rotaryDim: rotaryDim, x: tk, positions: p, inverseFrequencies: f)
                try b.kvStore(rows: m, kvHeads: kvHeads, headDim: headDim, k: tk, v: tv, cache: cache, slots: s, positions: p)
            }
            return [try values(tq), try values(tk), try values(cache.keys), try values(cache.values)]
        }
        let fused = try run(fused: true)
        #expect(fused == (try run(fused: false)))
        #expect(fused[2].contains { $0 != 0 } && fused[0] != q)
        // a slot outside the cache: refused, and the cache and q untouched
        let tq = try deviceTensor(b, floats: Array(q.prefix(heads * headDim)), shape: [1, heads * headDim])
        let cache = KVCache.Layer(keys: try deviceTensor(b, floats: [Float](repeating: 0, count: kvHeads * capacity * headDim), shape: [1, kvHeads, capacity, headDim]),
                                  values: try deviceTensor(b, floats: [Float](repeating: 0, count: kvHeads * capacity * headDim), shape: [1, kvHeads, capacity, headDim]),
                                  slots: 1, capacity: capacity)
        #expect(throws: BackendError.self) {
            try b.ropeKVStore(rows: 1, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: rotaryDim, q: tq,
                              k: try deviceTensor(b, floats: Array(k.prefix(kvHeads * headDim)), shape: [1, kvHeads * headDim]),
                              v: try deviceTensor(b, floats: Array(v.prefix(kvHeads * headDim)), shape: [1, kvHeads * headDim]),
                              positions: try deviceTensor(b, ints: [3]), inverseFrequencies: try deviceTensor(b, floats: inv, shape: [4]),
                              cache: cache, slots: try deviceTensor(b, ints: [1]))
        }
        #expect(try values(tq) == Array(q.prefix(heads * headDim)))
        #expect(try values(cache.keys).allSatisfy { $0 == 0 })
    }

    /// kv_store + attention against softmax(q k^T * scale) v, causal per slot, with and without a window.
    @Test(arguments: implementations, [0, 3])
    func attentionOverTheCache(implementation: Int, window: Int) throws {
        let b = Self.backends[implementation]
        var random = TestRandom(14)
        let heads = 4, kvHeads = 2, headDim = 16, slots = 2, capacity = 12
        // slot 0 gets positions 0..<7, slot 1 positions 0..<4, in one interleaved batch
        let rows: [(slot: Int32, position: Int32)] = (0..<7).map { (0, Int32($0)) } + (0..<4).map { (1, Int32($0)) }
        let m = rows.count
        let q = random.floats(m * heads * headDim), k = random.floats(m * kvHeads * headDim), v = random.floats(m * kvHeads * headDim)
        let cache = KVCache.Layer(
            keys: try deviceTensor(b, floats: [Float](repeating: 0, count: slots * kvHeads * capacity * headDim), shape: [slots, kvHeads, capacity, headDim]),
            values: try deviceTensor(b, floats: [Float](repeating: 0, count: slots * kvHeads * capacity * headDim), shape: [slots, kvHeads, capacity, headDim]),
            slots: slots, capacity: capacity)
        let slotT = try deviceTensor(b, ints: rows.map(\.slot)), posT = try deviceTensor(b, ints: rows.map(\.position))
        try b.kvStore(rows: m, kvHeads: kvHeads, headDim: headDim, k: try deviceTensor(b, floats: k, shape: [m, kvHeads * headDim]),
                      v: try deviceTensor(b, floats: v, shape: [m, kvHeads * headDim]), cache: cache, slots: slotT, positions: posT)
        let out = try deviceTensor(b, floats: [Float](repeating: 0, count: m * heads * headDim), shape: [m, heads * headDim])
        let scale = 1 / Float(headDim).squareRoot()
        try b.attention(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim, q: try deviceTensor(b, floats: q, shape: [m, heads * headDim]),
                        cache: cache, slots: slotT, positions: posT, window: window, scale: scale, out: out)
        var expected = [Float](repeating: 0, count: m * heads * headDim)
        for i in 0..<m {
            let keysOfRow = (0..<m).filter { rows[$0].slot == rows[i].slot && rows[$0].position <= rows[i].position &&
                (window == 0 || rows[$0].position > rows[i].position - Int32(window)) }
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                let scores: [Double] = keysOfRow.map { j in
                    var dot = 0.0
                    for d in 0..<headDim {
                        dot += Double(q[i * heads * headDim + h * headDim + d]) * Double(k[j * kvHeads * headDim + g * headDim + d])
                    }
                    return dot * Double(scale)
                }
                let top = scores.max() ?? 0
                let weights = scores.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                for d in 0..<headDim {
                    var sum = 0.0
                    for (j, weight) in zip(keysOfRow, weights) { sum += weight * Double(v[j * kvHeads * headDim + g * headDim + d]) }
                    expected[i * heads * headDim + h * headDim + d] = Float(sum / total)
                }
            }
        }
        #expect(maxAbsDifference(try values(out), expected) < 1e-5)
    }

    /// Long contexts (several key chunks of the AVX2 path, partial last chunks, a window that starts
    /// mid-chunk): the SIMD attention against the reference one, a prefill of 150 rows of head_dim 64.
    @Test(arguments: [0, 37, 100])
    func attentionOverLongContextsMatchesTheReference(window: Int) throws {
        var random = TestRandom(21)
        let heads = 6, kvHeads = 2, headDim = 64, m = 150
        let q = random.floats(m * heads * headDim, scale: 2), k = random.floats(m * kvHeads * headDim, scale: 2)
        let v = random.floats(m * kvHeads * headDim)
        var outputs: [[Float]] = []
        for b in Self.backends {
            let cache = KVCache.Layer(
                keys: try deviceTensor(b, floats: [Float](repeating: 0, count: kvHeads * m * headDim), shape: [1, kvHeads, m, headDim]),
                values: try deviceTensor(b, floats: [Float](repeating: 0, count: kvHeads * m * headDim), shape: [1, kvHeads, m, headDim]),
                slots: 1, capacity: m)
            let slotT = try deviceTensor(b, ints: [Int32](repeating: 0, count: m)), posT = try deviceTensor(b, ints: (0..<m).map(Int32.init))
            try b.kvStore(rows: m, kvHeads: kvHeads, headDim: headDim, k: try deviceTensor(b, floats: k, shape: [m, kvHeads * headDim]),
                          v: try deviceTensor(b, floats: v, shape: [m, kvHeads * headDim]), cache: cache, slots: slotT, positions: posT)
            let out = try deviceTensor(b, floats: [Float](repeating: 0, count: m * heads * headDim), shape: [m, heads * headDim])
            try b.attention(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim,
                            q: try deviceTensor(b, floats: q, shape: [m, heads * headDim]), cache: cache, slots: slotT,
                            positions: posT, window: window, scale: 1 / Float(headDim).squareRoot(), out: out)
            outputs.append(try values(out))
        }
        #expect(maxAbsDifference(outputs[0], outputs[1]) < 2e-6, "window \(window)")
    }

    /// A NaN query poisons its own (row, head) on both paths (the AVX2 exp keeps NaN scores NaN) and
    /// nothing else.
    @Test func aNaNScorePoisonsItsRowOnEveryPath() throws {
        let heads = 2, kvHeads = 1, headDim = 16, m = 20
        var random = TestRandom(8)
        var q = random.floats(m * heads * headDim)
        q[7 * heads * headDim + 3] = .nan                       // row 7, head 0
        let k = random.floats(m * kvHeads * headDim), v = random.floats(m * kvHeads * headDim)
        for b in Self.backends {
            let cache = KVCache.Layer(
                keys: try deviceTensor(b, floats: [Float](repeating: 0, count: m * headDim), shape: [1, 1, m, headDim]),
                values: try deviceTensor(b, floats: [Float](repeating: 0, count: m * headDim), shape: [1, 1, m, headDim]),
                slots: 1, capacity: m)
            let slotT = try deviceTensor(b, ints: [Int32](repeating: 0, count: m)), posT = try deviceTensor(b, ints: (0..<m).map(Int32.init))
            try b.kvStore(rows: m, kvHeads: kvHeads, headDim: headDim, k: try deviceTensor(b, floats: k, shape: [m, headDim]),
                          v: try deviceTensor(b, floats: v, shape: [m, headDim]), cache: cache, slots: slotT, positions: posT)
            let out = try deviceTensor(b, floats: [Float](repeating: 0, count: m * heads * headDim), shape: [m, heads * headDim])
            try b.attention(rows: m, heads: heads, kvHeads: kvHeads, headDim: headDim,
                            q: try deviceTensor(b, floats: q, shape: [m, heads * headDim]), cache: cache, slots: slotT,
                            positions: posT, window: 0, scale: 0.25, out: out)
            let o = try values(out)
            for row in 0..<m {
                for h in 0..<heads {
                    let part = o[(row * heads + h) * headDim..<((row * heads + h + 1) * headDim)]
                    #expect(part.allSatisfy(\.isNaN) == (row == 7 && h == 0), "\(b.deviceDescription) row \(row) head \(h)")
                }
            }
        }
    }

    @Test(arguments: implementations)
    func siluMulAddArgmax(implementation: Int) throws {
        let b = Self.backends[implementation]
        var random = TestRandom(15)
        let m = 3, n = 41
        let gate = random.floats(m * n, scale: 4), up = random.floats(m * n)
        let out = try deviceTensor(b, floats: [Float](repeating: 0, count: m * n), shape: [m, n])
        try b.siluMul(rows: m, width: n, gate: try deviceTensor(b, floats: gate, shape: [m, n]),
                      up: try deviceTensor(b, floats: up, shape: [m, n]), out: out)
        let expected = zip(gate, up).map { g, u in Float(Double(g) / (1 + exp(-Double(g))) * Double(u)) }
        #expect(maxAbsDifference(try values(out), expected) < 1e-6)

        let y = try deviceTensor(b, floats: up, shape: [m, n])
        try b.add(count: m * n, x: out, into: y)
        #expect(maxAbsDifference(try values(y), zip(expected, up).map { $0 + $1 }) < 1e-6)

        var rowsWithTies = random.floats(m * n)
        rowsWithTies[5] = 9; rowsWithTies[7] = 9           // row 0: first of two maxima wins
        rowsWithTies[n + 40] = 3                           // row 1: the last column
        let ids = try deviceTensor(b, ints: [0, 0, 0])
        try b.argmax(rows: m, width: n, x: try deviceTensor(b, floats: rowsWithTies, shape: [m, n]), out: ids)
        let expectedRow2 = (0..<n).max { rowsWithTies[2 * n + $0] < rowsWithTies[2 * n + $1] }!
        #expect(try ids.buffer.download(Int32.self, count: 3) == [5, 40, Int32(expectedRow2)])
    }

    @Test func halfAndBFloatConversionsRoundToNearestEven() {
        for value: Float in [0, -0, 1, -2.5, 65504, 1e-7, 6.1e-5, 3.14159, 1e10, -1e-30] {
            #expect(dlp_f32_to_f16(value) == Float16(value).bitPattern, "f16 \(value)")
        }
        #expect(dlp_f32_to_bf16(1.0) == 0x3F80)
        #expect(dlp_f32_to_bf16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)   // tie to even
        #expect(dlp_f32_to_bf16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
    }
}
