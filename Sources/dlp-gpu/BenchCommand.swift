// BenchCommand.swift: `dlp-gpu bench`: prefill and decode speed of the base model, one LoRA, a merged
// mix, the DLP fused mix (K of N loaded adapters) and the unfused mix (one adapter at a time, as the
// paper's code runs them), interleaved over repeats in one run so every ratio compares like with like:
// a ratio is the median over rounds of the ratio within a round, so drift of the machine's speed from
// one round to the next cancels.
import ArgumentParser
import DLPLoRA
import Foundation

extension ModelShape: ExpressibleByArgument {}
/// The dtypes a synthetic model can be made in: those a file can hold (row-interleaved copies are made at load).
extension DType: ExpressibleByArgument {
    public init?(argument: String) {
        guard let dtype = DType(rawValue: argument), !dtype.isRowInterleaved else { return nil }
        self = dtype
    }
    public static var allValueStrings: [String] { fileTypes.map(\.rawValue) }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure prefill and decode speed with and without fused adapters.")

    @Option(name: .long, help: "A real model (folder or .gguf); without it a synthetic model of --shape is used.")
    var model: String?

    @Option(name: .long, help: "Synthetic model shape: smollm2-135m, qwen2-0.5b, qwen2-1.5b, llama3-8b.")
    var shape: ModelShape = .smollm2_135m

    @Option(name: .long, help: "Weight dtype of the synthetic model: f32, f16, bf16, or random blocks of a GGUF format: q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k (norms stay f32; K-quant matrices whose rows are not whole 256-blocks take llama-quantize's fallback type, e.g. q5_0 for q4_k).")
    var dtype: DType = .f16

    @Option(name: .long, help: "auto, cpu or cuda.")
    var device: Device = .auto

    @Flag(name: .long, help: "With --model: dequantize block-quantized GGUF weights to f32 at load (to compare with the quantized kernels).")
    var dequantize = false

    @Option(name: .long, help: "CPU threads (0: one per core; at most \(KernelBackend.maximumThreads)).")
    var threads: Int = 0

    @Option(name: .long, help: "Modes, comma-separated: base, single, merged, dlp, mixed (a different plan for every sequence), unfused.")
    var modes: String = "base,single,merged,dlp,unfused"

    @Option(name: .long, help: "Loaded adapters N, comma-separated values, each 1 to \(BenchCommand.maximumAdapters) (dlp runs once per value).")
    var loaded: String = "8"

    @Option(name: .long, help: "Fused adapters K, comma-separated values (dlp and unfused run once per value).")
    var fused: String = "3"

    @Option(name: .long, help: "LoRA rank r (1 to 256).")
    var rank: Int = 8

    @Option(name: .long, help: "Target projections, comma-separated (q_proj,v_proj), or all.")
    var targets: String = "q_proj,v_proj"

    @Option(name: .long, help: "Sequences decoded together (1 to 256).")
    var batch: Int = 1

    @Option(name: .long, help: "Prompt tokens per sequence (1 to 65536).")
    var promptTokens: Int = 64

    @Option(name: .long, help: "Generated tokens per sequence (1 to 65536).")
    var generate: Int = 32

    @Option(name: .long, help: "Untimed rounds first (0 to 100).")
    var warmup: Int = 1

    @Option(name: .long, help: "Timed rounds, 1 to 1000 (cases are interleaved within each round; a ratio is the median of the rounds' ratios).")
    var repeats: Int = 5

    @Flag(name: .long, help: "Print JSON instead of the table.")
    var json = false

    struct Case {
        let label: String, mode: String, k: Int, n: Int
        let model: TransformerModel
        let bank: AdapterBank?
        let plan: FusionPlan?
        let fused: Bool
        /// mixed: sequence s of the batch gets its own plan (adapters s, s+1, ..., s+K-1 mod N)
        var distinctPlans = false
        var prefill: [Double] = [], decode: [Double] = []
    }

    /// The most adapters a bench loads.
    static let maximumAdapters = 1024

    func validate() throws {
        func check(_ value: Int, _ range: ClosedRange<Int>, _ name: String) throws {
            guard range.contains(value) else { throw ValidationError("--\(name) \(value): give \(range.lowerBound) to \(range.upperBound)") }
        }
        try check(threads, 0...KernelBackend.maximumThreads, "threads")
        try check(rank, 1...256, "rank")
        try check(batch, 1...256, "batch")
        try check(promptTokens, 1...65536, "prompt-tokens")
        try check(generate, 1...65536, "generate")
        try check(warmup, 0...100, "warmup")
        try check(repeats, 1...1000, "repeats")
        for n in try list(loaded, "loaded") { try check(n, 1...Self.maximumAdapters, "loaded") }
        _ = try list(fused, "fused")
    }

    func list(_ text: String, _ name: String) throws -> [Int] {
        let values = try text.split(separator: ",").map { item -> Int in
            guard let value = Int(item.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("--\(name) needs positive integers, got '\(text)'")
            }
            return value
        }
        guard !values.isEmpty else { throw ValidationError("--\(name) needs positive integers, got '\(text)'") }
        return values
    }

    func run() throws {
        let backend = try KernelBackend.make(device: device, threads: threads) { printError($0) }
        let modeList = modes.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for m in modeList where !["base", "single", "merged", "dlp", "mixed", "unfused"].contains(m) {
            throw ValidationError("unknown mode '\(m)' (base, single, merged, dlp, mixed, unfused)")
        }
        let ns = try list(loaded, "loaded"), ks = try list(fused, "fused")
        let projections: [Projection] = targets == "all" ? Projection.allCases : try targets.split(separator: ",").map {
            guard let p = Projection(rawValue: String($0)) else { throw ValidationError("unknown projection '\($0)'") }
            return p
        }
        guard ks.max()! <= ns.max()! else { throw ValidationError("--fused must not exceed --loaded") }
        func makeModel() throws -> TransformerModel {
            if let model { return try ModelLoader.load(path: model, backend: backend, dequantize: dequantize).0 }
            return try TransformerModel.synthetic(shape: shape, dtype: dtype, backend: backend)
        }
        let base = try makeModel()
        let config = base.config
        let adapters = try (0..<ns.max()!).map { try LoRAAdapter.random(name: "a\($0)", config: config, rank: rank, projections: projections, seed: UInt64(100 + $0)) }
        var banks: [Int: AdapterBank] = [:]
        for n in Set(ns + [ks.max()!]) {
            let bank = AdapterBank(config: config, backend: backend, storage: base.adapterStorage)
            try bank.add(Array(adapters.prefix(n)))      // one build and upload of the stacks
            banks[n] = bank
        }
        func mix(_ k: Int) -> FusionPlan { FusionPlan((0..<k).map { .init(adapter: "a\($0)", weight: 1 / Float(k)) }) }
        // sequence s: adapters s ..< s + k (mod n), weights that differ per sequence
        func rotated(_ k: Int, _ n: Int, _ s: Int) -> FusionPlan {
            FusionPlan((0..<k).map { .init(adapter: "a\((s + $0) % n)", weight: Float(k - $0) / Float(k * (k + 1) / 2) + Float(s % 7) * 0.01) })
        }
        var cases: [Case] = []
        if modeList.contains("base") { cases.append(Case(label: "base", mode: "base", k: 0, n: 0, model: base, bank: nil, plan: nil, fused: true)) }
        if modeList.contains("single") {
            cases.append(Case(label: "single", mode: "single", k: 1, n: ns[0], model: base, bank: banks[ns[0]], plan: mix(1), fused: true))
        }
        if modeList.contains("merged") {
            let merged = try makeModel()
            try merged.merge(mix(ks[0]), from: banks[ns.max()!]!)
            cases.append(Case(label: "merged K=\(ks[0])", mode: "merged", k: ks[0], n: 0, model: merged, bank: nil, plan: nil, fused: true))
        }
        if modeList.contains("dlp") {
            for n in ns { for k in ks where k <= n {
                cases.append(Case(label: "dlp K=\(k) N=\(n)", mode: "dlp", k: k, n: n, model: base, bank: banks[n], plan: mix(k), fused: true))
            } }
        }
        if modeList.contains("mixed") {
            for n in ns { for k in ks where k <= n {
                var c = Case(label: "mixed K=\(k) N=\(n)", mode: "mixed", k: k, n: n, model: base, bank: banks[n], plan: mix(k), fused: true)
                c.distinctPlans = true
                cases.append(c)
            } }
        }
        if modeList.contains("unfused") {
            for k in ks { cases.append(Case(label: "unfused K=\(k)", mode: "unfused", k: k, n: ns.max()!, model: base, bank: banks[ns.max()!], plan: mix(k), fused: false)) }
        }
        var random = SystemRandomNumberGenerator()
        let promptRange = config.vocabSize > 200 ? 100..<Int32(min(config.vocabSize, 30000)) : 0..<Int32(config.vocabSize)
        let prompt = (0..<promptTokens).map { _ in Int32.random(in: promptRange, using: &random) }
        let rounds = warmup + repeats
        for round in 0..<rounds {
            for i in cases.indices {
                FileHandle.standardError.write(Data("\r\u{1B}[K[\(round < warmup ? "warm-up" : "round \(round - warmup + 1)/\(repeats)")] \(cases[i].label)".utf8))
                let c = cases[i]
                let generator = Generator(model: c.model, tokenizer: nil, contextLength: promptTokens + generate + 1, adapters: c.bank, fusedAdapters: c.fused)
                let requests = (0..<batch).map { s in
                    GenerationRequest(promptIDs: prompt, maxTokens: generate, plan: c.distinctPlans ? rotated(c.k, c.n, s) : c.plan)
                }
                let result = try generator.generate(requests)[0]
                guard round >= warmup else { continue }
                cases[i].prefill.append(Double(batch * promptTokens) / result.prefillSeconds)
                cases[i].decode.append(result.decodeSeconds / Double(max(result.tokenIDs.count - 1, 1)) * 1000)
            }
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        // the median over rounds of each round's ratio (cases of one round ran back to back)
        func pairedRatio(_ c: Case, to reference: Case?) -> Double? {
            guard let reference else { return nil }
            return median(zip(c.decode, reference.decode).map { $0 / $1 })
        }
        let singleCase = cases.first { $0.mode == "single" }, baseCase = cases.first { $0.mode == "base" }
        let peak = Self.peakResidentMiB()
        // weight bytes streamed per decode step (the tied head read again), for the bandwidth roofline
        let weightBytes = Double(base.decodeWeightBytes)
        func gbps(_ ms: Double) -> Double { ms > 0 ? weightBytes / (ms / 1000) / 1e9 : 0 }
        let setup = "\(model ?? "synthetic \(shape.rawValue) \(dtype.rawValue)"), \(backend.deviceDescription), r=\(rank) on \(projections.map(\.rawValue).joined(separator: ",")) (\(base.adapterStorage.rawValue) bank), batch \(batch), prompt \(promptTokens), generate \(generate), \(repeats) rounds, \(base.stepGraphs)"
        if json {
            try printJSON(["setup": setup, "peak_rss_mib": peak, "weight_bytes_per_step": weightBytes, "results": cases.map { c -> [String: Any] in
                let d = median(c.decode)
                return ["case": c.label, "mode": c.mode, "k": c.k, "n": c.n, "prefill_tokens_per_second": median(c.prefill),
                        "decode_weight_gb_per_second": gbps(d), "decode_tokens_per_second": d > 0 ? Double(batch) * 1000 / d : 0,
                        "decode_ms_per_step": ["median": d, "min": c.decode.min() ?? 0, "max": c.decode.max() ?? 0],
                        "ratio_to_single": pairedRatio(c, to: singleCase) ?? NSNull(), "ratio_to_base": pairedRatio(c, to: baseCase) ?? NSNull()]
            }])
            return
        }
        print("# \(setup)")
        print("case                 prefill tok/s   decode ms/step (min-max)    vs single   vs base   weights GB/s")
        for c in cases {
            let d = median(c.decode)
            let vsSingle = pairedRatio(c, to: singleCase).map { String(format: "%6.3fx", $0) } ?? "     -"
            let vsBase = pairedRatio(c, to: baseCase).map { String(format: "%6.3fx", $0) } ?? "     -"
            print(c.label.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %13.1f   %7.2f (%.2f-%.2f)", median(c.prefill), d, c.decode.min() ?? 0, c.decode.max() ?? 0)
                  + "      \(vsSingle)   \(vsBase)   " + String(format: "%8.1f", gbps(d)))
        }
        print(String(format: "peak resident memory: %.0f MiB", peak))
    }

    /// VmHWM of this process, in MiB.
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
