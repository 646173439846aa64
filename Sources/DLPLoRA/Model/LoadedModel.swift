// LoadedModel.swift: the public entry point of the library: a model, its tokenizer (when the files have
// one) and its generation defaults, loaded from a Hugging Face folder or a GGUF file onto a device.
import Foundation

/// A model ready to score and generate.
public final class LoadedModel: @unchecked Sendable {
    public let model: TransformerModel
    public let tokenizer: Tokenizer?
    public let source: ModelSource
    /// The LoRA adapters loaded for this model (empty at first).
    public let adapters: AdapterBank

    /// Loads the model at `path` (a folder with config.json + safetensors, or a .gguf file); quantized GGUF
    /// matrices stay quantized unless `dequantize` (see ModelLoader.load).
    public init(path: String, backend: KernelBackend, dequantize: Bool = false) throws {
        let (model, source) = try ModelLoader.load(path: path, backend: backend, dequantize: dequantize)
        self.model = model
        self.source = source
        adapters = AdapterBank(config: model.config, backend: backend, storage: model.adapterStorage)
        if source.format == "gguf" {
            tokenizer = try TokenizerLoader.fromGGUFIfPresent(path: path)
        } else if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("tokenizer.json")) {
            tokenizer = try TokenizerLoader.load(path: path)
        } else {
            tokenizer = nil
        }
    }

    /// End-of-sequence ids: generation_config.json's, else config.json's.
    public var eosTokenIDs: Set<Int32> {
        let ids = source.generationConfig?.eosTokenId?.ids ?? model.config.eosTokenId?.ids ?? []
        return Set(ids.map { Int32($0) })
    }

    /// log p(ids[i] | ids[0..<i]) for i >= 1 (`ids.count - 1` values), from one forward pass.
    /// With `plan`, under that mix of the loaded adapters; with `router`, under the plan it picks for each
    /// sentence (or the whole text, by its granularity).
    public func logProbabilities(ids: [Int32], plan: FusionPlan? = nil, router: SentenceRouter? = nil) throws -> [Double] {
        guard ids.count >= 2 else { return [] }
        let cache = try model.makeCache(slots: 1, capacity: ids.count)
        let n = ids.count
        if let router { try router.router.checkAdapters(adapters.names, routerPath: "the router") }
        let plans = try SequencePlans(request: GenerationRequest(promptIDs: ids, plan: plan, router: router), tokenizer: tokenizer) { _, _ in }
        let selection = try SequencePlans.selection([plans], rows: plans.promptRows.map { (0, $0) }, bank: adapters, fused: true)
        let logits = try model.forward(tokens: ids, slots: Array(repeating: 0, count: n),
                                       positions: (0..<n).map(Int32.init), logitRows: Array(0..<(n - 1)), cache: cache,
                                       adapters: selection)
        let vocab = model.config.vocabSize
        return (1..<n).map { i in Self.logSoftmax(logits[((i - 1) * vocab)..<(i * vocab)], at: Int(ids[i])) }
    }

    /// log softmax(row)[index], in double precision.
    static func logSoftmax(_ row: ArraySlice<Float>, at index: Int) -> Double {
        let top = Double(row.max() ?? 0)
        let logSum = log(row.reduce(0.0) { $0 + exp(Double($1) - top) }) + top
        return Double(row[row.startIndex + index]) - logSum
    }
}
