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
    /// The model's name as the files give it: the folder's name, or GGUF general.basename and
    /// general.size_label ("smollm2 135M"; general.name is often a training-run label), else general.name.
    public var name: String? = nil

    /// Whether an adapter trained on `baseModel` (PEFT's base_model_name_or_path, often "org/Model-Name")
    /// was plausibly trained on this model: the names compared by letters and digits only, and only
    /// when both are known. Shapes are checked separately; this catches same-shape siblings.
    public func mayBeBase(of baseModel: String?) -> Bool {
        func key(_ s: String) -> String {
            String(s.split(separator: "/").last.map(String.init)?.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }
                .map(Character.init) ?? [])
        }
        guard let name, let baseModel, case let a = key(name), case let b = key(baseModel), !a.isEmpty, !b.isEmpty else { return true }
        return a.contains(b) || b.contains(a)
    }
}

public enum ModelLoader {
    /// Loads the model at `path` onto `backend`. GGUF matrices in a block format stay in it where the
    /// backend computes with it; `dequantize` widens them to f32 at load instead (for comparisons).
    public static func load(path: String, backend: KernelBackend, dequantize: Bool = false) throws -> (TransformerModel, ModelSource) {
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
            let generationPath = (path as NSString).appendingPathComponent("generation_config.json")
            let generation = try GenerationConfig.load(path: generationPath)
            try generation?.validate(path: generationPath, vocabularySize: config.vocabSize)
            var types: [String: Int] = [:]
            for name in store.tensorNames { if let t = try store.tensor(named: name) { types[t.type.rawValue, default: 0] += 1 } }
            return (model, ModelSource(format: "safetensors", path: path, tensorNames: store.tensorNames,
                                       generationConfig: generation, tensorTypes: types,
                                       name: URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent))
        }
        let file = try GGUFFile(path: path)
        let config = try ModelConfig.fromGGUF(file)
        let architecture = try ModelFamilies.architecture(for: config, path: path)
        let store = try GGUFWeights(file: file, permuteHeads: architecture.ggufPermutesQK ? (config.numAttentionHeads, config.kvHeads) : nil)
        let weights = try ModelWeights(store: store, config: config, architecture: architecture, backend: backend,
                                       dequantize: dequantize)
        let ropeFactors = try store.tensor(named: "rope_freqs.weight")?.floatValues()
        if let ropeFactors {
            guard ropeFactors.count == config.headDimension / 2, ropeFactors.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw LoadError.tensorMismatch(path: path, tensor: "rope_freqs.weight", expected: "\(config.headDimension / 2) finite positive factors",
                                               found: "\(ropeFactors.count) values, \(ropeFactors.filter { !($0.isFinite && $0 > 0) }.count) not finite and positive")
            }
        }
        let model = try TransformerModel(config: config, architecture: architecture, weights: weights,
                                         ropeFactors: ropeFactors, backend: backend)
        var generation = GenerationConfig()
        generation.bosTokenId = config.bosTokenId
        generation.eosTokenId = config.eosTokenId
        var types: [String: Int] = [:]
        for info in file.tensors { types[info.type.name, default: 0] += 1 }
        return (model, ModelSource(format: "gguf", path: path, tensorNames: store.tensorNames,
                                   generationConfig: generation, tensorTypes: types,
                                   name: Self.ggufModelName(file.metadata)))
    }

    static func ggufModelName(_ metadata: [String: GGUFValue]) -> String? {
        if let base = metadata["general.basename"]?.stringValue {
            return [base, metadata["general.size_label"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        }
        return metadata["general.name"]?.stringValue
    }
}
