// PEFTAdapter.swift: a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) read
// against a base model: every tensor key parsed (with or without the adapter name, with or without
// PEFT's "base_model.model." prefix), every shape checked against the base model, refused tensor kinds
// (DoRA magnitudes, embedding adapters, biases, modules_to_save) named, unknown keys rejected.
import Foundation

/// One adapter's weights in host memory, f32, per (layer, projection).
public final class LoRAAdapter: @unchecked Sendable {
    struct Module {
        let rank: Int
        let scale: Float
        let a: [Float]          // [rank, d_in]
        let b: [Float]          // [d_out, rank]
    }

    /// The adapter's name (its folder's name by default).
    public let name: String
    public let path: String
    public let config: AdapterConfig
    let modules: [Int: [Projection: Module]]     // layer -> projection -> weights

    /// Layers x projections that the adapter changes.
    public var adaptedModuleCount: Int { modules.values.reduce(0) { $0 + $1.count } }

    /// An adapter from weights in memory: per layer and projection, A f32 [rank, d_in] and B f32
    /// [d_out, rank] with their scale (alpha / r). Shapes are checked against `baseConfig`.
    public init(name: String, baseConfig: ModelConfig, rank: Int, alpha: Double,
                weights: [Int: [Projection: (a: [Float], b: [Float])]]) throws {
        self.name = name
        path = "(memory)"
        config = AdapterConfig(rank: rank, alpha: alpha, targets: nil, rankPattern: [:], alphaPattern: [:],
                               useRSLoRA: false, layersToTransform: nil, layersPattern: ["layers"])
        var modules: [Int: [Projection: Module]] = [:]
        for (layer, projections) in weights {
            guard layer >= 0, layer < baseConfig.numHiddenLayers else {
                throw AdapterError.invalidPlan("adapter '\(name)': layer \(layer) is outside the model's \(baseConfig.numHiddenLayers) layers")
            }
            for (projection, ab) in projections {
                let (dIn, dOut) = projection.dimensions(baseConfig)
                guard ab.a.count == rank * dIn, ab.b.count == dOut * rank else {
                    throw AdapterError.invalidPlan("adapter '\(name)' \(projection.rawValue) layer \(layer): expected A [\(rank), \(dIn)] and B [\(dOut), \(rank)]")
                }
                modules[layer, default: [:]][projection] = Module(rank: rank, scale: Float(alpha / Double(rank)), a: ab.a, b: ab.b)
            }
        }
        self.modules = modules
    }

    /// Loads the adapter folder at `path` for a base model with `config`.
    public init(path: String, name: String? = nil, baseConfig: ModelConfig) throws {
        self.path = path
        self.name = name ?? URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        let fm = FileManager.default
        let configPath = (path as NSString).appendingPathComponent("adapter_config.json")
        let weightsPath = (path as NSString).appendingPathComponent("adapter_model.safetensors")
        guard fm.fileExists(atPath: configPath) else {
            throw LoadError.cannotOpen(path: path, reason: "no adapter_config.json: not a PEFT adapter folder")
        }
        let config = try AdapterConfig.load(path: configPath)
        self.config = config
        guard fm.fileExists(atPath: weightsPath) else {
            if fm.fileExists(atPath: (path as NSString).appendingPathComponent("adapter_model.bin")) {
                throw LoadError.unsupported(path: (path as NSString).appendingPathComponent("adapter_model.bin"), field: "format", value: "PyTorch pickle (.bin)",
                                            supported: "adapter_model.safetensors; convert with: python -c \"import torch, safetensors.torch as st; st.save_file(torch.load('adapter_model.bin'), 'adapter_model.safetensors')\"")
            }
            throw LoadError.cannotOpen(path: path, reason: "no adapter_model.safetensors in the folder")
        }
        let file = try SafetensorsFile(path: weightsPath)
        var pairs: [Int: [Projection: (a: HostTensor?, b: HostTensor?)]] = [:]
        for key in file.tensorNames {
            let parsed = try Self.parse(key: key, adapterName: self.name, path: weightsPath, layers: baseConfig.numHiddenLayers)
            guard let tensor = try file.tensor(named: key) else { continue }
            var entry = pairs[parsed.layer, default: [:]][parsed.projection] ?? (nil, nil)
            guard (parsed.isA ? entry.a : entry.b) == nil else {
                throw LoadError.malformed(path: weightsPath, field: "tensor '\(key)'",
                                          reason: "a second \(parsed.isA ? "lora_A" : "lora_B") for the same module (several adapters in one file?)")
            }
            if parsed.isA { entry.a = tensor } else { entry.b = tensor }
            pairs[parsed.layer, default: [:]][parsed.projection] = entry
        }
        var modules: [Int: [Projection: Module]] = [:]
        for layer in 0..<baseConfig.numHiddenLayers {
            for projection in Projection.allCases {
                let module = projection.moduleName(layer: layer)
                let entry = pairs[layer]?[projection]
                let targeted = try config.targets(module: module, layer: layer, path: configPath)
                guard let entry else {
                    if targeted, config.targets != nil {
                        throw LoadError.missingTensor(path: weightsPath, tensor: "\(module).lora_A.weight (targeted by adapter_config.json)")
                    }
                    continue
                }
                guard targeted else {
                    throw LoadError.invalidConfig(path: configPath, field: "target_modules",
                                                  reason: "the weights adapt \(module), which target_modules/layers_to_transform do not select")
                }
                guard let a = entry.a, let b = entry.b else {
                    throw LoadError.missingTensor(path: weightsPath, tensor: "\(module).\(entry.a == nil ? "lora_A" : "lora_B").weight")
                }
                let (rank, scale) = try config.rankAndScale(module: module, path: configPath)
                let (dIn, dOut) = projection.dimensions(baseConfig)
                for (tensor, expected, label) in [(a, [rank, dIn], "lora_A"), (b, [dOut, rank], "lora_B")] {
                    guard tensor.shape == expected else {
                        throw LoadError.tensorMismatch(path: weightsPath, tensor: "\(label) of \(projection.rawValue) layer \(layer)",
                                                       expected: "\(expected)", found: "\(tensor.shape): wrong base model or rank?")
                    }
                    guard tensor.type.kernelType != nil else {
                        throw LoadError.tensorMismatch(path: weightsPath, tensor: "\(label) of \(projection.rawValue) layer \(layer)",
                                                       expected: "F32, F16 or BF16", found: tensor.type.rawValue)
                    }
                }
                let aValues = a.floatValues(), bValues = b.floatValues()
                for (values, label) in [(aValues, "lora_A"), (bValues, "lora_B")] {
                    if let bad = values.firstIndex(where: { !$0.isFinite }) {
                        throw LoadError.malformed(path: weightsPath, field: "\(label) of \(projection.rawValue) layer \(layer)",
                                                  reason: "element \(bad) is not finite (\(values[bad]))")
                    }
                }
                modules[layer, default: [:]][projection] = Module(rank: rank, scale: scale, a: aValues, b: bValues)
            }
        }
        guard !modules.isEmpty else {
            throw LoadError.invalidConfig(path: weightsPath, field: "tensors", reason: "the adapter changes no projection of this model")
        }
        self.modules = modules
    }

    /// Splits "base_model.model.model.layers.3.self_attn.q_proj.lora_A[.name].weight".
    static func parse(key: String, adapterName: String, path: String, layers: Int) throws -> (layer: Int, projection: Projection, isA: Bool) {
        var rest = Substring(key)
        if rest.hasPrefix("base_model.model.") { rest = rest.dropFirst("base_model.model.".count) }
        let refusals: [(String, String)] = [
            ("lora_magnitude_vector", "DoRA magnitude vectors (use_dora): merge the adapter with PEFT first"),
            ("lora_embedding_A", "embedding adapters (lora_embedding_A/B)"),
            ("lora_embedding_B", "embedding adapters (lora_embedding_A/B)"),
            ("modules_to_save", "modules_to_save (whole replaced modules)"),
        ]
        for (marker, what) in refusals where rest.contains(marker) {
            throw LoadError.unsupported(path: path, field: "tensor '\(key)'", value: marker, supported: "LoRA A/B matrices of linear layers, not \(what)")
        }
        let parts = rest.split(separator: ".").map(String.init)
        // model . layers . N . block . proj . lora_X [. name] . weight
        guard parts.count == 7 || parts.count == 8, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              let projection = Projection(rawValue: parts[4]), parts[3] == projection.block,
              parts[5] == "lora_A" || parts[5] == "lora_B" else {
            throw LoadError.unsupported(path: path, field: "tensor '\(key)'", value: "unknown key",
                                        supported: "base_model.model.model.layers.N.{self_attn,mlp}.{q,k,v,o,gate,up,down}_proj.lora_{A,B}[.adapter].weight")
        }
        guard parts.last == "weight" else {
            throw LoadError.unsupported(path: path, field: "tensor '\(key)'", value: parts.last ?? "",
                                        supported: "weight (a bias on a LoRA matrix, lora_bias, is not supported)")
        }
        guard layer >= 0, layer < layers else {
            throw LoadError.tensorMismatch(path: path, tensor: key, expected: "a layer below \(layers)", found: "layer \(layer): wrong base model?")
        }
        return (layer, projection, parts[5] == "lora_A")
    }
}
