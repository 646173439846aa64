// ModelLoader.swift: opens a model from a path (a Hugging Face folder with config.json and safetensors,
// or a .gguf file), validates config and tensors, and builds the TransformerModel on a backend.
import Foundation

/// What `load` found at a path, beside the model itself.
public struct ModelSource: Sendable {
    /// "safetensors" or "gguf".
    public var format: String
    public var path: String
    /// Every tensor name in the files.
    public var tensorNames: [String]
    /// Generation defaults (generation_config.json, or GGUF metadata).
    public var generationConfig: GenerationConfig?
    /// How many tensors of each stored type the files hold ("F32": 61, "Q4_1": 210, ...).
    public var tensorTypes: [String: Int]
}

public enum ModelLoader {
    /// Loads the model at `path` onto `backend`.
    public static func load(path: String, backend: KernelBackend) throws -> (TransformerModel, ModelSource) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError.cannotOpen(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue {
            let configPath = (path as NSString).appendingPathComponent("config.json")
            let config = try ModelConfig.load(path: configPath)
            let architecture = try ModelFamilies.architecture(for: config, path: configPath)
            let store = try SafetensorsFolder(folder: path)
            let weights = try ModelWeights(store: store, config: config, architecture: architecture, backend: backend)
            let model = try TransformerModel(config: config, architecture: architecture, weights: weights,
                                             ropeFactors: nil, backend: backend)
            let generation = try GenerationConfig.load(path: (path as NSString).appendingPathComponent("generation_config.json"))
            var types: [String: Int] = [:]
            for name in store.tensorNames { if let t = try store.tensor(named: name) { types[t.type.rawValue, default: 0] += 1 } }
            return (model, ModelSource(format: "safetensors", path: path, tensorNames: store.tensorNames,
                                       generationConfig: generation, tensorTypes: types))
        }
        let file = try GGUFFile(path: path)
        let config = try ModelConfig.fromGGUF(file)
        let architecture = try ModelFamilies.architecture(for: config, path: path)
        let store = GGUFWeights(file: file, permuteHeads: architecture.ggufPermutesQK ? (config.numAttentionHeads, config.kvHeads) : nil)
        let weights = try ModelWeights(store: store, config: config, architecture: architecture, backend: backend)
        let ropeFactors = try store.tensor(named: "rope_freqs.weight")?.floatValues()
        let model = try TransformerModel(config: config, architecture: architecture, weights: weights,
                                         ropeFactors: ropeFactors, backend: backend)
        var generation = GenerationConfig()
        generation.bosTokenId = config.bosTokenId
        generation.eosTokenId = config.eosTokenId
        var types: [String: Int] = [:]
        for info in file.tensors { types[info.type.name, default: 0] += 1 }
        return (model, ModelSource(format: "gguf", path: path, tensorNames: store.tensorNames,
                                   generationConfig: generation, tensorTypes: types))
    }
}
