// ModelOptions.swift: the options every model-running subcommand shares (model path, device, threads,
// context length) and the code that turns them into a loaded model.
import ArgumentParser
import DLPLoRA
import Foundation

extension Device: ExpressibleByArgument {}
extension RoutingGranularity: ExpressibleByArgument {}

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A Hugging Face model folder (config.json + safetensors) or a .gguf file (default: the demo pack's SmolLM2, with its adapters and router).")
    var model: String?

    @Option(name: .long, help: "auto (CUDA if the plugin loads, else CPU), cpu or cuda.")
    var device: Device = .auto

    @Option(name: .long, help: "CPU threads (0: one per core; at most \(KernelBackend.maximumThreads)).")
    var threads: Int = 0

    @Option(name: .long, help: "Context length: positions per sequence in the KV cache (1 to \(KVCache.maximumCapacity)).")
    var context: Int = 2048

    @Flag(name: .long, help: "Dequantize a GGUF file's block-quantized weights to f32 at load (about 4x the memory; quantized weights are otherwise computed with as they are).")
    var dequantize = false

    func validate() throws {
        guard (0...KernelBackend.maximumThreads).contains(threads) else {
            throw ValidationError("--threads \(threads): give 0 (one per core) to \(KernelBackend.maximumThreads)")
        }
        guard (1...KVCache.maximumCapacity).contains(context) else {
            throw ValidationError("--context \(context): give 1 to \(KVCache.maximumCapacity) positions")
        }
    }

    @Option(name: .long, parsing: .upToNextOption, help: "PEFT LoRA adapter folders; each is named by its folder's name.")
    var adapters: [String] = []

    @Option(name: .long, help: "A fixed mix of the adapters, e.g. math=0.7,code=0.3 (a bare name means weight 1).")
    var mix: String?

    @Flag(name: .long, help: "Bake the mix into the weights (fastest for one fixed mix).")
    var merge = false

    @Option(name: .long, help: "A router file (train-router): pick the adapters per sentence instead of --mix.")
    var router: String?

    @Option(name: .long, help: "With --router: sentence (a plan per sentence) or prompt (one plan per request).")
    var routing: RoutingGranularity = .sentence

    /// The model with its adapters loaded, and how to apply them: a fixed plan, a router, or neither.
    /// `needsPlan: false` (eval) accepts several adapters without --mix or --router.
    func load(needsPlan: Bool = true) throws -> (LoadedModel, FusionPlan?, SentenceRouter?) {
        let backend = try KernelBackend.make(device: device, threads: threads) { note in
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }
        var adapters = self.adapters
        var router = self.router
        let modelPath: String
        if let model {
            modelPath = model
        } else {
            // the demo pack: SmolLM2 from the cache, the committed adapters and router
            let pack = try DemoPack.locate()
            modelPath = pack.model
            if adapters.isEmpty, mix == nil { adapters = pack.adapters; router = router ?? pack.router }
        }
        let loaded = try LoadedModel(path: modelPath, backend: backend, dequantize: dequantize)
        guard !adapters.isEmpty else {
            guard mix == nil, !merge, router == nil else { throw ValidationError("--mix, --merge and --router need --adapters") }
            return (loaded, nil, nil)
        }
        try loaded.adapters.load(paths: adapters)
        for adapter in loaded.adapters.names.compactMap(loaded.adapters.adapter(named:)) where !loaded.source.mayBeBase(of: adapter.config.baseModel) {
            FileHandle.standardError.write(Data("note: adapter '\(adapter.name)' was trained on '\(adapter.config.baseModel ?? "")', and this model is '\(loaded.source.name ?? "")'; the shapes match, the outputs may not\n".utf8))
        }
        if let router {
            guard mix == nil, !merge else { throw ValidationError("give --router or --mix/--merge, not both") }
            let trained = try Router.load(path: router)
            try trained.checkAdapters(loaded.adapters.names, routerPath: router)
            // on a GPU the router's forward runs there in batches; on the CPU the host path is as fast
            let onDevice = backend.name == "cpu" ? nil : try DeviceRouter(router: trained, backend: backend)
            return (loaded, nil, SentenceRouter(router: trained, granularity: routing, device: onDevice))
        }
        let plan: FusionPlan
        if let mix {
            plan = try FusionPlan(parsing: mix)
        } else if adapters.count == 1, let only = loaded.adapters.names.first {
            plan = FusionPlan([.init(adapter: only, weight: 1)])
        } else if !needsPlan {
            return (loaded, nil, nil)
        } else {
            throw ValidationError("\(adapters.count) adapters are loaded: say how to mix them with --mix name=weight,... (names: \(loaded.adapters.names.joined(separator: ", ")))")
        }
        for slot in plan.slots where loaded.adapters.index(of: slot.adapter) == nil {
            throw AdapterError.unknownAdapter(slot.adapter, loaded: loaded.adapters.names)
        }
        if merge {
            try loaded.model.merge(plan, from: loaded.adapters)
            return (loaded, nil, nil)
        }
        return (loaded, plan, nil)
    }
}

/// Parses "1,2,3" into token ids.
func parseIDs(_ text: String) throws -> [Int32] {
    try text.split(separator: ",").map { part in
        guard let id = Int32(part.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw ValidationError("'\(part)' is not a token id (expected non-negative integers separated by commas)")
        }
        return id
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints a JSON object with sorted keys.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
