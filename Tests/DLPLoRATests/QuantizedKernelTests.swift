// QuantizedKernelTests.swift: the CPU kernels on weights that stay in a GGUF block format. For every
// format and every implementation (scalar reference, AVX2, AVX-512 VNNI where this CPU has it):
// gemm against the exact product with the dequantized weights, within the bound the 8-bit rounding of
// the activations allows; SIMD against the reference (bit-identical for the K-quants, whose integer sums
// are exact and whose float steps are shared); gemm_lora equal to gemm plus lora_shrink and lora_expand
// on decode and prefill row counts; embedding rows equal to the dequantized table; bad block sizes and
// quantized norms, biases or banks refused.
import CKernels
import Testing
@testable import DLPLoRA

@Suite struct QuantizedKernelTests {
    static let quantized = DType.allCases.filter(\.isQuantized)
    /// Context flags of the implementations: reference, AVX2 at most, the fastest here.
    static let implementations: [(name: String, flags: UInt32)] = [
        ("reference", DLP_CONTEXT_REFERENCE_KERNELS), ("avx2", DLP_CONTEXT_NO_AVX512), ("fastest", 0),
    ]

    /// A CPU context with `flags` (2 threads, so the split of rows over threads is exercised).
    final class Context {
        let table = dlp_cpu_kernel_table()!.pointee
        var pointer: OpaquePointer?
        init(flags: UInt32) { _ = table.context_create(2, flags, &pointer) }
        deinit { table.context_destroy(pointer) }
        var lastError: String { table.last_error(pointer).map { String(cString: $0) } ?? "" }
    }

    /// Random weights [n, k] in dtype: the blocks (a row-interleaved dtype: random blocks of its plain
    /// format, packed) and their dequantized values.
    static func weights(_ dtype: DType, n: Int, k: Int, seed: UInt64) -> (blocks: [UInt8], values: [Float]) {
        var generator = SeededGenerator(seed: seed)
        let plain = RandomBlocks.bytes(dtype.plain, count: n * k, scale: 0.5, generator: &generator)
        var values = [Float](repeating: 0, count: n * k)
        plain.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer {
                _ = dlp_dequantize_blocks(dtype.plain.kernelType, src.baseAddress!, Int64(n * k / dtype.blockElements), $0.baseAddress!)
            }
        }
        return (dtype.isRowInterleaved ? packed(dtype, plain, n: n, k: k) : plain, values)
    }

    /// The row-interleaved copy of plain blocks [n, k].
    static func packed(_ dtype: DType, _ plain: [UInt8], n: Int, k: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plain.count)
        let status = out.withUnsafeMutableBufferPointer { dst in
            plain.withUnsafeBufferPointer { dlp_pack_rows_x8(dtype.plain.kernelType, Int64(n), Int64(k), $0.baseAddress!, dst.baseAddress!) }
        }
        precondition(status == 0, "\(dtype) has no row-interleaved form")
        return out
    }

    /// y = x W^T (+ y0 + bias when given) on one implementation.
    static func gemm(_ context: Context, _ dtype: DType, m: Int, n: Int, k: Int, x: [Float], blocks: [UInt8],
                     bias: [Float]? = nil, y0: [Float]? = nil) -> (dlp_status, [Float]) {
        var y = y0 ?? [Float](repeating: .nan, count: m * n)
        let status = blocks.withUnsafeBytes { w in
            context.table.gemm(context.pointer, Int64(m), Int64(n), Int64(k), x, Int64(k), w.baseAddress, dtype.kernelType,
                               Int64(k), bias, DLP_DTYPE_F32, y0 == nil ? 0 : 1, &y, Int64(n))
        }
        return (status, y)
    }

    /// The exact product in double and, per output, the most the activations' 8-bit rounding can move it:
    /// sum over elements of |w| * (the element's block scale) / 2.
    static func exact(_ dtype: DType, m: Int, n: Int, k: Int, x: [Float], w: [Float]) -> (values: [Double], bound: [Double]) {
        let activationBlock = dtype.blockElements == 256 ? 256 : 32
        var values = [Double](repeating: 0, count: m * n), bound = values
        for i in 0..<m {
            var halfStep = [Double](repeating: 0, count: k)
            for b in stride(from: 0, to: k, by: activationBlock) {
                let amax = x[(i * k + b)..<(i * k + b + activationBlock)].map { abs(Double($0)) }.max() ?? 0
                for t in b..<(b + activationBlock) { halfStep[t] = amax / 127 / 2 }
            }
            for j in 0..<n {
                var sum = 0.0, err = 0.0, magnitude = 0.0
                for t in 0..<k {
                    let wv = Double(w[j * k + t]), xv = Double(x[i * k + t])
                    sum += xv * wv
                    err += abs(wv) * halfStep[t]
                    magnitude += abs(xv * wv)
                }
                values[i * n + j] = sum
                bound[i * n + j] = err * 1.001 + magnitude * 1e-3 + 1e-6   // 1e-3: the f16-rounded activation scales
            }
        }
        return (values, bound)
    }

    static func shapes(_ dtype: DType) -> [(m: Int, n: Int, k: Int)] {
        dtype.blockElements == 256 ? [(1, 37, 256), (5, 20, 512), (70, 9, 256)]
                                   : [(1, 37, 64), (3, 40, 96), (9, 33, 320), (70, 20, 64), (13, 7, 32)]
    }

    @Test(arguments: quantized)
    func gemmMatchesTheDequantizedProductInEveryImplementation(dtype: DType) throws {
        var random = TestRandom(UInt64(dtype.kernelType.rawValue) + 100)
        for (index, shape) in Self.shapes(dtype).enumerated() {
            let (m, n, k) = shape
            let (blocks, w) = Self.weights(dtype, n: n, k: k, seed: UInt64(index + 1))
            let x = random.floats(m * k)
            let expected = Self.exact(dtype, m: m, n: n, k: k, x: x, w: w)
            var results: [[Float]] = []
            for implementation in Self.implementations {
                let (status, y) = Self.gemm(Context(flags: implementation.flags), dtype, m: m, n: n, k: k, x: x, blocks: blocks)
                #expect(status == DLP_STATUS_OK)
                let worst = (0..<(m * n)).map { abs(Double(y[$0]) - expected.values[$0]) / expected.bound[$0] }.max() ?? 0
                #expect(worst <= 1, "\(dtype) \(implementation.name) m=\(m) n=\(n) k=\(k): error \(worst) x the bound")
                results.append(y)
            }
            for (name, y) in zip(Self.implementations.dropFirst().map(\.name), results.dropFirst()) {
                if dtype.blockElements == 256 {
                    #expect(y == results[0], "\(dtype) \(name) m=\(m): not bit-identical to the reference")
                } else {
                    let worst = zip(y, results[0]).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= 1e-4, "\(dtype) \(name) m=\(m): \(worst) from the reference")
                }
            }
        }
    }

    @Test func accumulateBiasAndNaNFollowTheF32Rules() throws {
        let context = Context(flags: 0)
        let (m, n, k) = (2, 8, 64)
        let (blocks, w) = Self.weights(.q4_1, n: n, k: k, seed: 9)
        var random = TestRandom(5)
        let x = random.floats(m * k), bias = random.floats(n), y0 = random.floats(m * n)
        let (status, y) = Self.gemm(context, .q4_1, m: m, n: n, k: k, x: x, blocks: blocks, bias: bias, y0: y0)
        #expect(status == DLP_STATUS_OK)
        let plain = Self.exact(.q4_1, m: m, n: n, k: k, x: x, w: w)
        for i in 0..<(m * n) {
            #expect(abs(Double(y[i]) - (plain.values[i] + Double(bias[i % n]) + Double(y0[i]))) <= plain.bound[i] + 1e-5)
        }
        var poisoned = x
        poisoned[3] = .nan
        let (_, yNaN) = Self.gemm(context, .q4_1, m: m, n: n, k: k, x: poisoned, blocks: blocks)
        #expect(yNaN[0..<n].allSatisfy { $0.isNaN }, "a NaN activation must not vanish in the 8-bit rounding")
        #expect(yNaN[n...].allSatisfy { !$0.isNaN })
    }

    /// gemm_lora on a quantized W = gemm, then lora_shrink and lora_expand (decode path m < 8 and prefill).
    @Test(arguments: [DType.q8_0, .q4_K, .q6_K, .q4_1x8, .q8_0x8])
    func gemmLoRAOnAQuantizedBaseEqualsItsParts(dtype: DType) throws {
        let context = Context(flags: 0)
        let table = context.table
        let n = 24, k = 256, rMax = 4, kSlots = 2, adapters = 3
        let (blocks, _) = Self.weights(dtype, n: n, k: k, seed: 4)
        var random = TestRandom(17)
        let a = random.floats(adapters * rMax * k, scale: 0.1), b = random.floats(adapters * rMax * n, scale: 0.1)
        let ranks: [Int32] = [4, 2, 3], scales: [Float] = [2, 0.5, 1]
        let planAdapters: [Int32] = [0, 2, 1, -1], planWeights: [Float] = [0.7, 0.3, 1, 0]
        for m in [3, 12] {
            let x = random.floats(m * k)
            let planOfRow = (0..<m).map { Int32($0 % 3) - 1 }      // -1 (no adapter), plan 0, plan 1, ...
            var fused = [Float](repeating: 0, count: m * n), t = [Float](repeating: 0, count: m * kSlots * rMax)
            let status = blocks.withUnsafeBytes { w in
                table.gemm_lora(context.pointer, Int64(m), Int64(n), Int64(k), x, Int64(k), w.baseAddress, dtype.kernelType,
                                Int64(k), nil, DLP_DTYPE_F32, 0, &fused, Int64(n), Int64(rMax), Int64(kSlots), a, b, DLP_DTYPE_F32,
                                Int64(adapters), ranks, scales, 2, planAdapters, planWeights, planOfRow, &t)
            }
            #expect(status == DLP_STATUS_OK, "\(context.lastError)")
            var (_, parts) = Self.gemm(context, dtype, m: m, n: n, k: k, x: x, blocks: blocks)
            var t2 = [Float](repeating: 0, count: m * kSlots * rMax)
            #expect(table.lora_shrink(context.pointer, Int64(m), Int64(k), Int64(rMax), Int64(kSlots), x, Int64(k), a, DLP_DTYPE_F32,
                                      Int64(adapters), ranks, scales, 2, planAdapters, planWeights, planOfRow, &t2) == DLP_STATUS_OK)
            #expect(table.lora_expand(context.pointer, Int64(m), Int64(n), Int64(rMax), Int64(kSlots), t2, b, DLP_DTYPE_F32,
                                      Int64(adapters), ranks, 2, planAdapters, planOfRow, &parts, Int64(n)) == DLP_STATUS_OK)
            let worst = zip(fused, parts).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(dtype) m=\(m): \(worst)")
        }
    }

    @Test(arguments: quantized)
    func embeddingRowsAreTheDequantizedTable(dtype: DType) throws {
        let context = Context(flags: 0)
        let vocab = 19, dim = dtype.blockElements * 2          // row-interleaved: two groups of 8 and 3 plain rows
        let (blocks, values) = Self.weights(dtype, n: vocab, k: dim, seed: 3)
        let ids: [Int32] = [6, 0, 3, 3, 18, 15, 16]
        var out = [Float](repeating: 0, count: ids.count * dim)
        let status = blocks.withUnsafeBytes {
            context.table.embedding(context.pointer, Int64(ids.count), ids, $0.baseAddress, dtype.kernelType, Int64(vocab),
                                    Int64(dim), &out, Int64(dim))
        }
        #expect(status == DLP_STATUS_OK)
        for (i, id) in ids.enumerated() {
            #expect(Array(out[(i * dim)..<((i + 1) * dim)]) == Array(values[(Int(id) * dim)..<((Int(id) + 1) * dim)]))
        }
    }

    /// The row-interleaved layout: packing then reading every block back gives the plain blocks; rows
    /// dequantize alike from both; and a row's product is bit-identical whether it is alone in the call
    /// or one of 16 (the kernel treats rows independently), on every implementation.
    @Test(arguments: [DType.q4_0x8, .q4_1x8, .q8_0x8])
    func rowInterleavedCopiesRoundTripAndAreBatchInvariant(dtype: DType) throws {
        let n = 27, k = 96
        var generator = SeededGenerator(seed: 11)
        let plain = RandomBlocks.bytes(dtype.plain, count: n * k, scale: 0.5, generator: &generator)
        let packed = Self.packed(dtype, plain, n: n, k: k)
        #expect(packed != plain)
        var unpacked = [UInt8](repeating: 0, count: plain.count)
        let blockBytes = dtype.blockBytes
        packed.withUnsafeBufferPointer { src in
            unpacked.withUnsafeMutableBufferPointer { dst in
                for row in 0..<n {
                    for b in 0..<(k / 32) {
                        dlp_x8_plain_block(dtype.kernelType, src.baseAddress!, Int64(n), Int64(k), Int64(row), Int64(b),
                                           dst.baseAddress! + (row * k / 32 + b) * blockBytes)
                    }
                }
            }
        }
        #expect(unpacked == plain)
        var fromPlain = [Float](repeating: 0, count: 5 * k), fromPacked = fromPlain
        #expect(dlp_dequantize_rows(dtype.plain.kernelType, Int64(n), Int64(k), plain, 20, 25, &fromPlain) == 0)
        #expect(dlp_dequantize_rows(dtype.kernelType, Int64(n), Int64(k), packed, 20, 25, &fromPacked) == 0)
        #expect(fromPlain == fromPacked)
        #expect(dlp_dequantize_rows(dtype.kernelType, Int64(n), Int64(k), packed, 20, 28, &fromPacked) == -1)
        #expect(dlp_pack_rows_x8(DLP_DTYPE_Q4_K, 1, 256, plain, &unpacked) == -1)

        var random = TestRandom(23)
        let m = 16, x = random.floats(m * k)
        for implementation in Self.implementations {
            let context = Context(flags: implementation.flags)
            let (status, all) = Self.gemm(context, dtype, m: m, n: n, k: k, x: x, blocks: packed)
            #expect(status == DLP_STATUS_OK)
            for row in [0, 5, 15] {
                let (_, alone) = Self.gemm(context, dtype, m: 1, n: n, k: k, x: Array(x[(row * k)..<((row + 1) * k)]), blocks: packed)
                #expect(alone == Array(all[(row * n)..<((row + 1) * n)]), "\(dtype) \(implementation.name) row \(row)")
            }
        }
    }

    /// The context reuses the quantized rows of an unchanged x (same buffer, shape, format, values), and
    /// only then: an x changed in place in one element, or read at another shape, is quantized again.
    @Test func quantizedActivationsAreReusedOnlyForTheSameValues() throws {
        let (m, n, k) = (9, 16, 64)
        let (q4, _) = Self.weights(.q4_1x8, n: n, k: k, seed: 31)
        let (q6, _) = Self.weights(.q6_K, n: n, k: 256, seed: 32)
        var random = TestRandom(37)
        var x = random.floats(m * 256)
        let shared = Context(flags: 0)
        func product(_ context: Context, _ dtype: DType, _ blocks: [UInt8], rows: Int, k: Int, ldx: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: rows * n)
            let status = blocks.withUnsafeBytes { w in
                context.table.gemm(context.pointer, Int64(rows), Int64(n), Int64(k), x, Int64(ldx), w.baseAddress, dtype.kernelType,
                                   Int64(k), nil, DLP_DTYPE_F32, 0, &y, Int64(n))
            }
            #expect(status == DLP_STATUS_OK)
            return y
        }
        func fresh(_ dtype: DType, _ blocks: [UInt8], rows: Int, k: Int, ldx: Int) -> [Float] {
            product(Context(flags: 0), dtype, blocks, rows: rows, k: k, ldx: ldx)
        }
        let first = product(shared, .q4_1x8, q4, rows: m, k: k, ldx: 256)
        #expect(product(shared, .q4_1x8, q4, rows: m, k: k, ldx: 256) == first)
        x[5 * 256 + 17] += 0.5                                    // row 5, in place
        let changed = product(shared, .q4_1x8, q4, rows: m, k: k, ldx: 256)
        #expect(changed == fresh(.q4_1x8, q4, rows: m, k: k, ldx: 256))
        #expect(changed[(5 * n)..<(6 * n)] != first[(5 * n)..<(6 * n)])
        #expect(product(shared, .q4_1x8, q4, rows: 4, k: k, ldx: 256) == fresh(.q4_1x8, q4, rows: 4, k: k, ldx: 256))
        // the same x, shape included, for a K-quant weight takes 256-element activation blocks, not the memo's
        // 32-element ones
        let (q4Wide, _) = Self.weights(.q4_1x8, n: n, k: 256, seed: 33)
        #expect(product(shared, .q4_1x8, q4Wide, rows: m, k: 256, ldx: 256) == fresh(.q4_1x8, q4Wide, rows: m, k: 256, ldx: 256))
        #expect(product(shared, .q6_K, q6, rows: m, k: 256, ldx: 256) == fresh(.q6_K, q6, rows: m, k: 256, ldx: 256))
    }

    @Test func partialBlocksAndQuantizedVectorsAreRefused() throws {
        let context = Context(flags: 0)
        let table = context.table
        let (blocks, _) = Self.weights(.q4_K, n: 2, k: 256, seed: 1)
        let x = [Float](repeating: 1, count: 256)
        var y = [Float](repeating: 7, count: 2)
        // k = 128 is half a K-quant block: the product cannot read half a super-block
        let partial = blocks.withUnsafeBytes {
            table.gemm(context.pointer, 1, 2, 128, x, 128, $0.baseAddress, DLP_DTYPE_Q4_K, 128, nil, DLP_DTYPE_F32, 0, &y, 2)
        }
        #expect(partial == DLP_STATUS_INVALID_ARGUMENT && context.lastError.contains("block"), "\(context.lastError)")
        #expect(y == [7, 7])
        let quantizedBias = blocks.withUnsafeBytes {
            table.gemm(context.pointer, 1, 2, 256, x, 256, $0.baseAddress, DLP_DTYPE_Q4_K, 256, $0.baseAddress, DLP_DTYPE_Q4_K,
                       0, &y, 2)
        }
        #expect(quantizedBias != DLP_STATUS_OK)
        var normed = [Float](repeating: 0, count: 256)
        let quantizedNorm = blocks.withUnsafeBytes {
            table.rmsnorm(context.pointer, 1, 256, x, 256, $0.baseAddress, DLP_DTYPE_Q4_K, 1e-5, &normed, 256)
        }
        #expect(quantizedNorm != DLP_STATUS_OK)
        let unknown = blocks.withUnsafeBytes {
            table.gemm(context.pointer, 1, 2, 256, x, 256, $0.baseAddress, dlp_dtype(rawValue: 99), 256, nil, DLP_DTYPE_F32, 0, &y, 2)
        }
        #expect(unknown == DLP_STATUS_UNSUPPORTED)
    }

    @Test func theCPUTableAdvertisesEveryBlockFormat() throws {
        let backend = try KernelBackend.cpu(threads: 1)
        // every file format; the row-interleaved ones where this CPU has their group kernels
        #expect(backend.weightDTypes.isSuperset(of: DType.fileTypes))
        #if arch(x86_64)
        // (the context's description names the paths this CPU takes)
        #expect(backend.weightDTypes.contains(.q4_1x8) == backend.deviceDescription.contains("AVX2"))
        #expect(backend.weightDTypes.contains(.q8_0x8) == backend.deviceDescription.contains("AVX-512 VNNI"))
        #else
        #expect(!backend.weightDTypes.contains { $0.isRowInterleaved })
        #endif
        for dtype in Self.quantized {
            #expect(dtype.bytes(elements: dtype.blockElements * 3) == dtype.blockBytes * 3)
            #expect(dtype.bytes(elements: dtype.blockElements + 1) == nil)
        }
    }

    /// `bench --dtype q4_k` on a shape whose rows are not whole 256-element blocks (SmolLM2's 576) gets
    /// what llama-quantize writes for such rows: Q5_0 for those matrices, Q4_K where the rows fit
    /// (down_proj's 1536), and the model runs.
    @Test func syntheticKQuantModelsFallBackPerMatrixAsLlamaQuantizeDoes() throws {
        let model = try TransformerModel.synthetic(shape: .smollm2_135m, dtype: .q4_K, backend: try KernelBackend.cpu(threads: 2))
        #expect(Set(model.weightBytes.keys) == [.f32, .q5_0, .q4_K])
        let logits = try model.forward(tokens: [1, 2, 3], slots: [0, 0, 0], positions: [0, 1, 2], logitRows: [2],
                                       cache: try model.makeCache(slots: 1, capacity: 4))
        #expect(logits.count == model.config.vocabSize && logits.allSatisfy { $0.isFinite })
    }
}
