// InspectCommand.swift: `dlp-gpu inspect PATH`: architecture, sizes, dtypes and tokenizer of a model.
import ArgumentParser
import DLPLoRA
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Describe a model folder or GGUF file.")

    @Argument(help: "A Hugging Face model folder or a .gguf file.")
    var path: String

    @Option(name: .long, parsing: .upToNextOption, help: "PEFT LoRA adapter folders to check against the model and describe.")
    var adapters: [String] = []

    @Flag(name: .long, help: "List every tensor: its type in the file, the dtype it is kept in, its shape and bytes.")
    var tensors = false

    @Flag(name: .long, help: "Dequantize GGUF block-quantized weights to f32, as `generate --dequantize` would.")
    var dequantize = false

    func run() throws {
        let loaded = try LoadedModel(path: path, backend: try KernelBackend.cpu(), dequantize: dequantize)
        let c = loaded.model.config
        let a = loaded.model.architecture
        let parameters = loaded.model.parameterCount
        print("path:           \(path)")
        print("format:         \(loaded.source.format) (\(loaded.source.tensorNames.count) tensors)")
        print("architecture:   \(c.modelType)\(a.qkvBias ? ", q/k/v bias" : "")\(a.slidingWindow.map { ", sliding window \($0)" } ?? "")")
        print("layers:         \(c.numHiddenLayers)")
        print("hidden:         \(c.hiddenSize), intermediate \(c.intermediateSize)")
        print("heads:          \(c.numAttentionHeads) query, \(c.kvHeads) key/value, head_dim \(c.headDimension)")
        print("vocabulary:     \(c.vocabSize)")
        print("context:        \(c.maxPositionEmbeddings.map(String.init) ?? "unknown")")
        let scaling = c.ropeScaling.map { " (\($0.ropeType) scaling, factor \($0.factor ?? 1))" } ?? ""
        print("rope:           theta \(c.ropeTheta ?? 10000)\(scaling)")
        print("embeddings:     \(loaded.model.tiedEmbeddings ? "tied" : "separate lm_head")")
        print(String(format: "parameters:     %.1fM", Double(parameters) / 1e6))
        let bytes = loaded.model.weightBytes.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { String(format: "%@ %.1f MiB", $0.key.rawValue, Double($0.value) / 1_048_576) }
        let total = Double(loaded.model.weightBytes.values.reduce(0, +)) / 1_048_576
        let fileSize = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber).map { Double($0.intValue) / 1_048_576 }
        print("weights:        \(bytes.joined(separator: ", ")) as kept in memory")
        print(String(format: "resident:       %.1f MiB of weights%@ (KV cache and workspace come on top)", total,
                     fileSize.map { String(format: ", file %.1f MiB", $0) } ?? ""))
        let types = loaded.source.tensorTypes.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }
        print("stored types:   \(types.joined(separator: ", "))")
        if let t = loaded.tokenizer {
            print("tokenizer:      \(t.kind), \(t.vocabularySize) tokens\(t.chatTemplate != nil ? ", chat template" : "")")
        } else {
            print("tokenizer:      none (no tokenizer.json)")
        }
        print("eos ids:        \(loaded.eosTokenIDs.sorted().map(String.init).joined(separator: ", "))")
        if tensors {
            for t in loaded.model.loadedTensors {
                let kept = t.dtype.ggmlName == t.fileType ? t.fileType : "\(t.fileType) -> \(t.dtype.ggmlName)"
                print(String(format: "tensor:         %@  %@  %@  %.2f MiB", t.name, kept, "\(t.shape)", Double(t.bytes) / 1_048_576))
            }
        }
        guard !adapters.isEmpty else { return }
        try loaded.adapters.load(paths: adapters)
        for name in loaded.adapters.names {
            guard let adapter = loaded.adapters.adapter(named: name) else { continue }
            let c = adapter.config
            let scaling = c.useRSLoRA ? "alpha/sqrt(r), rsLoRA" : "alpha/r"
            let patterns = c.rankPattern.isEmpty ? "" : ", rank_pattern \(c.rankPattern.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
            print("adapter:        \(name): r=\(c.rank), alpha \(c.alpha) (\(scaling))\(patterns), \(adapter.adaptedModuleCount) projections")
        }
        print(String(format: "adapter bank:   %d adapters, %.2f MiB (stacked f32, padded to the largest rank per projection)",
                     loaded.adapters.names.count, Double(loaded.adapters.byteCount) / 1_048_576))
    }
}
