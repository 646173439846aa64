// DecodeStepStructureTests.swift: a counting backend (the CPU kernel table with its memory traffic and op
// calls counted, and optionally graphs recorded and replayed as a device does) proves the structure of a
// decode step: one upload of the step's inputs (ids, slots, positions, plan tables and, only when
// sampling, the draws), one download of the chosen ids, no explicit synchronization and no allocation
// once warm, and a fixed number of op calls per step. StepGraphTests uses its graphs.
import CKernels
import Foundation
import Testing
@testable import DLPLoRA

/// What the counting table saw (globals: a C function pointer cannot capture).
struct TableCounts: Equatable {
    var allocations = 0, uploads = 0, uploadBytes = 0, downloads = 0, synchronizations = 0, ops = 0
    /// Graph launches, ops recorded into graphs, and transfers or allocations tried while recording.
    var launches = 0, recordedOps = 0, callsWhileRecording = 0
    static func - (a: TableCounts, b: TableCounts) -> TableCounts {
        TableCounts(allocations: a.allocations - b.allocations, uploads: a.uploads - b.uploads, uploadBytes: a.uploadBytes - b.uploadBytes,
                    downloads: a.downloads - b.downloads, synchronizations: a.synchronizations - b.synchronizations, ops: a.ops - b.ops,
                    launches: a.launches - b.launches, recordedOps: a.recordedOps - b.recordedOps,
                    callsWhileRecording: a.callsWhileRecording - b.callsWhileRecording)
    }
}
nonisolated(unsafe) var counted = TableCounts()
private nonisolated(unsafe) var wrapped = dlp_kernel_table()
let countingLock = NSLock()

/// The counting table's graphs: ops recorded with their arguments and replayed as they are, as a CUDA
/// graph replays its kernels (same addresses, whatever they hold at replay).
enum CountingGraphs {
    nonisolated(unsafe) static var recording: [() -> dlp_status]?
    nonisolated(unsafe) static var graphs: [Int: [() -> dlp_status]] = [:]
    nonisolated(unsafe) static var nextGraph = 1
    /// Test switches: the next `failRecordings` graph_end calls fail (an op could not be recorded);
    /// graph_launch refuses once.
    nonisolated(unsafe) static var failRecordings = 0
    nonisolated(unsafe) static var refuseNextLaunch = false
}

/// Runs an op, or records it while a graph is being recorded.
private func op(_ call: @escaping () -> dlp_status) -> dlp_status {
    if CountingGraphs.recording != nil {
        CountingGraphs.recording?.append(call)
        counted.recordedOps += 1
        return DLP_STATUS_OK
    }
    counted.ops += 1
    return call()
}

/// Counts a transfer, allocation or synchronize; refuses it while recording, as a device does.
private func transfer(_ count: (inout TableCounts) -> Void, _ call: () -> dlp_status) -> dlp_status {
    if CountingGraphs.recording != nil {
        counted.callsWhileRecording += 1
        return DLP_STATUS_INVALID_ARGUMENT
    }
    count(&counted)
    return call()
}

/// The CPU table with every buffer call and every op counted, forwarding to the real one; with `graphs`,
/// it also records and replays graphs (CountingGraphs).
func countingTable(graphs: Bool = false) throws -> UnsafeMutablePointer<dlp_kernel_table> {
    wrapped = try #require(dlp_cpu_kernel_table()).pointee
    var t = wrapped
    t.name = UnsafePointer(strdup("counting"))
    t.buffer_alloc = { c, bytes, out in transfer({ $0.allocations += 1 }) { wrapped.buffer_alloc(c, bytes, out) } }
    t.buffer_from_host = { c, host, bytes, out in transfer({ $0.allocations += 1 }) { wrapped.buffer_from_host(c, host, bytes, out) } }
    t.buffer_upload = { c, b, offset, src, bytes in
        transfer({ $0.uploads += 1; $0.uploadBytes += bytes }) { wrapped.buffer_upload(c, b, offset, src, bytes) }
    }
    t.buffer_download = { c, b, offset, dst, bytes in transfer({ $0.downloads += 1 }) { wrapped.buffer_download(c, b, offset, dst, bytes) } }
    t.synchronize = { c in transfer({ $0.synchronizations += 1 }) { wrapped.synchronize(c) } }
    t.gemm = { c, m, n, k, x, ldx, w, wd, ldw, b, bd, beta, y, ldy in op { wrapped.gemm(c, m, n, k, x, ldx, w, wd, ldw, b, bd, beta, y, ldy) } }
    t.embedding = { c, m, ids, table, td, vocab, dim, out, ldo in op { wrapped.embedding(c, m, ids, table, td, vocab, dim, out, ldo) } }
    t.rmsnorm = { c, m, d, x, ldx, w, wd, eps, y, ldy in op { wrapped.rmsnorm(c, m, d, x, ldx, w, wd, eps, y, ldy) } }
    t.rope = { c, m, heads, headDim, rotDim, x, ldx, positions, inv in op { wrapped.rope(c, m, heads, headDim, rotDim, x, ldx, positions, inv) } }
    t.kv_store = { c, m, kvHeads, headDim, k, ldk, v, ldv, kc, vc, nSlots, maxSeq, slots, positions in
        op { wrapped.kv_store(c, m, kvHeads, headDim, k, ldk, v, ldv, kc, vc, nSlots, maxSeq, slots, positions) }
    }
    t.rope_kv_store = { c, m, heads, kvHeads, headDim, rotDim, q, ldq, k, ldk, v, ldv, positions, inv, kc, vc, nSlots, maxSeq, slots in
        op { wrapped.rope_kv_store(c, m, heads, kvHeads, headDim, rotDim, q, ldq, k, ldk, v, ldv, positions, inv, kc, vc, nSlots, maxSeq, slots) }
    }
    t.attention = { c, m, heads, kvHeads, headDim, q, ldq, kc, vc, nSlots, maxSeq, slots, positions, window, scale, out, ldo in
        op { wrapped.attention(c, m, heads, kvHeads, headDim, q, ldq, kc, vc, nSlots, maxSeq, slots, positions, window, scale, out, ldo) }
    }
    t.silu_mul = { c, m, n, gate, ldg, up, ldu, out, ldo in op { wrapped.silu_mul(c, m, n, gate, ldg, up, ldu, out, ldo) } }
    t.sample = { c, m, n, logits, ldl, temperature, topK, topP, uniforms, out in
        op { wrapped.sample(c, m, n, logits, ldl, temperature, topK, topP, uniforms, out) }
    }
    t.gemm_lora = { c, m, n, k, x, ldx, w, wd, ldw, b, bd, beta, y, ldy, rMax, kSlots, aBank, bBank, bankDtype, bankCount, ranks, scales,
                    planCount, planAdapters, planWeights, planOfRow, tt in
        op {
            wrapped.gemm_lora(c, m, n, k, x, ldx, w, wd, ldw, b, bd, beta, y, ldy, rMax, kSlots, aBank, bBank, bankDtype, bankCount, ranks,
                              scales, planCount, planAdapters, planWeights, planOfRow, tt)
        }
    }
    if graphs {
        t.graph_begin = { _ in
            guard CountingGraphs.recording == nil else { return DLP_STATUS_INVALID_ARGUMENT }
            CountingGraphs.recording = []
            return DLP_STATUS_OK
        }
        t.graph_end = { _, out in
            guard let ops = CountingGraphs.recording else { return DLP_STATUS_INVALID_ARGUMENT }
            CountingGraphs.recording = nil
            guard let out else { return DLP_STATUS_OK }          // discarded
            if CountingGraphs.failRecordings > 0 {
                CountingGraphs.failRecordings -= 1
                return DLP_STATUS_UNSUPPORTED
            }
            let id = CountingGraphs.nextGraph
            CountingGraphs.nextGraph += 1
            CountingGraphs.graphs[id] = ops
            out.pointee = OpaquePointer(bitPattern: id)
            return DLP_STATUS_OK
        }
        t.graph_launch = { _, graph in
            guard let ops = CountingGraphs.graphs[Int(bitPattern: graph)] else { return DLP_STATUS_INVALID_ARGUMENT }
            if CountingGraphs.refuseNextLaunch {
                CountingGraphs.refuseNextLaunch = false
                return DLP_STATUS_UNSUPPORTED
            }
            counted.launches += 1
            for call in ops {
                let status = call()
                if status != DLP_STATUS_OK { return status }
            }
            return DLP_STATUS_OK
        }
        t.graph_free = { _, graph in CountingGraphs.graphs[Int(bitPattern: graph)] = nil }
    }
    let pointer = UnsafeMutablePointer<dlp_kernel_table>.allocate(capacity: 1)
    pointer.initialize(to: t)
    return pointer
}

@Suite(.serialized) struct DecodeStepStructureTests {
    /// The counts of a generation of `maxTokens` tokens for 2 sequences (one with an adapter plan).
    private func generation(_ model: TransformerModel, _ bank: AdapterBank, maxTokens: Int, sampling: SamplingParameters) throws -> TableCounts {
        let generator = Generator(model: model, tokenizer: nil, contextLength: 64, adapters: bank)
        let plan = try FusionPlan(parsing: "r8_all=0.7,r4_rslora=0.3")
        let before = counted
        _ = try generator.generate([GenerationRequest(promptIDs: [1, 17, 301, 44], maxTokens: maxTokens, sampling: sampling, plan: plan),
                                    GenerationRequest(promptIDs: [1, 88, 140], maxTokens: maxTokens, sampling: sampling)])
        return counted - before
    }

    @Test func aDecodeStepUploadsOnceDownloadsOnceAndAllocatesNothing() throws {
        countingLock.lock()
        defer { countingLock.unlock() }
        let backend = try KernelBackend(table: try countingTable(), threads: 1)
        let (model, _) = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: backend)
        let bank = AdapterBank(config: model.config, backend: backend)
        let folder = Fixtures.path("lora/tiny-llama")
        try bank.load(paths: [folder + "/r8_all", folder + "/r4_rslora"])
        let layers = model.config.numHiddenLayers
        let sampled = SamplingParameters(temperature: 0.8, topK: 0, topP: 0.9, repetitionPenalty: 1, seed: 3)
        for (sampling, draws) in [(SamplingParameters.greedy, false), (sampled, true)] {
            _ = try generation(model, bank, maxTokens: 3, sampling: sampling)            // warm: buffers grown
            let short = try generation(model, bank, maxTokens: 3, sampling: sampling)
            let long = try generation(model, bank, maxTokens: 9, sampling: sampling)
            let steps = 6, perStep = long - short                                        // six more decode steps
            #expect(perStep.uploads == steps, "uploads per step: \(Double(perStep.uploads) / Double(steps))")
            #expect(perStep.downloads == steps, "downloads per step: \(Double(perStep.downloads) / Double(steps))")
            #expect(perStep.synchronizations == 0)
            #expect(perStep.allocations == 0)
            // ids, slots, positions of 2 rows; the plan tables (2 rows; 1 plan of K=2: adapters, weights);
            // the draws only when sampling
            let words = 3 * 2 + 2 + 2 * 2 + (draws ? 2 : 0)
            #expect(perStep.uploadBytes == steps * words * 4, "bytes per step: \(perStep.uploadBytes / steps)")
            // embedding; per layer 2 rmsnorm, 7 projections, rope_kv_store, attention, silu_mul; one final
            // rmsnorm for all rows, the lm head, sample
            #expect(perStep.ops == steps * (1 + layers * 12 + 1 + 1 + 1), "ops per step: \(Double(perStep.ops) / Double(steps))")
        }
    }
}
