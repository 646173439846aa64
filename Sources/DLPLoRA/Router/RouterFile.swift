// RouterFile.swift: a router as one safetensors file: tensors "embedding" [buckets, dim] and
// "layers.N.weight"/"layers.N.bias"; metadata "format", "adapters" (JSON list, class order),
// "featurizer" (JSON), "top_p", "weighting", "max_adapters". Loading checks every shape against them.
import Foundation

extension Router {
    /// Writes the router to `path`.
    public func save(to path: String) throws {
        var tensors: [SafetensorsWriter.Tensor] = [.f32(name: "embedding", shape: [featurizerSettings.buckets, embedDim], values: embedding)]
        for (i, layer) in layers.enumerated() {
            tensors.append(.f32(name: "layers.\(i).weight", shape: [layer.outputs, layer.inputs], values: layer.weight))
            tensors.append(.f32(name: "layers.\(i).bias", shape: [layer.outputs], values: layer.bias))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata = [
            "format": featurizerSettings.scalarClasses ? Self.format : Self.formatWithoutClasses,
            "adapters": String(decoding: try encoder.encode(adapterNames), as: UTF8.self),
            "featurizer": String(decoding: try encoder.encode(featurizerSettings), as: UTF8.self),
            "top_p": "\(selection.p)", "weighting": selection.weighting.rawValue, "max_adapters": "\(selection.maxAdapters)",
        ]
        try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
    }

    /// Reads a router file.
    public static func load(path: String) throws -> Router {
        let file = try SafetensorsFile(path: path)
        let meta = file.metadata
        guard meta["format"] == format || meta["format"] == formatWithoutClasses else {
            throw LoadError.unsupported(path: path, field: "__metadata__.format", value: meta["format"] ?? "missing",
                                        supported: "\(format), \(formatWithoutClasses)")
        }
        func json<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let text = meta[key], let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw LoadError.invalidConfig(path: path, field: "__metadata__.\(key)", reason: "missing or not valid JSON")
            }
            return value
        }
        let names = try json("adapters", [String].self)
        guard !names.isEmpty, Set(names).count == names.count else {
            throw LoadError.invalidConfig(path: path, field: "__metadata__.adapters", reason: "must name each adapter once")
        }
        var settings = try json("featurizer", FeaturizerSettings.self)
        if meta["format"] == formatWithoutClasses { settings.scalarClasses = false }
        if let problem = settings.problem {
            throw LoadError.invalidConfig(path: path, field: "__metadata__.featurizer", reason: problem)
        }
        guard let p = Float(meta["top_p"] ?? ""), p >= 0, p <= 1 else {
            throw LoadError.invalidConfig(path: path, field: "__metadata__.top_p", reason: "must be a number in [0, 1]")
        }
        guard let weighting = PlanWeighting(rawValue: meta["weighting"] ?? "") else {
            throw LoadError.unsupported(path: path, field: "__metadata__.weighting", value: meta["weighting"] ?? "missing", supported: "softmax, renormalize")
        }
        guard let k = Int(meta["max_adapters"] ?? ""), k > 0 else {
            throw LoadError.invalidConfig(path: path, field: "__metadata__.max_adapters", reason: "must be a positive integer")
        }
        guard let table = try file.tensor(named: "embedding"), table.type == .f32, table.shape.count == 2, table.shape[0] == settings.buckets else {
            throw LoadError.tensorMismatch(path: path, tensor: "embedding", expected: "F32 [\(settings.buckets), dim]", found: "something else")
        }
        let dim = table.shape[1]
        guard (1...Router.maximumWidth).contains(dim) else {
            throw LoadError.tensorMismatch(path: path, tensor: "embedding", expected: "a width of 1 to \(Router.maximumWidth)", found: "\(dim)")
        }
        let embedding = table.floatValues()
        if let bad = embedding.firstIndex(where: { !$0.isFinite }) {
            throw LoadError.malformed(path: path, field: "tensor 'embedding'", reason: "element \(bad) is not finite (NaN or Inf)")
        }
        var layers: [DenseLayer] = []
        var inputs = dim
        while let w = try file.tensor(named: "layers.\(layers.count).weight") {
            let i = layers.count
            guard w.type == .f32, w.shape.count == 2, w.shape[1] == inputs, (1...Router.maximumWidth).contains(w.shape[0]) else {
                throw LoadError.tensorMismatch(path: path, tensor: "layers.\(i).weight", expected: "F32 [out, \(inputs)]", found: "\(w.type.rawValue) \(w.shape)")
            }
            guard let b = try file.tensor(named: "layers.\(i).bias"), b.type == .f32, b.shape == [w.shape[0]] else {
                throw LoadError.tensorMismatch(path: path, tensor: "layers.\(i).bias", expected: "F32 [\(w.shape[0])]", found: "missing or other")
            }
            let weight = w.floatValues(), bias = b.floatValues()
            for (values, name) in [(weight, "layers.\(i).weight"), (bias, "layers.\(i).bias")] {
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw LoadError.malformed(path: path, field: "tensor '\(name)'", reason: "element \(bad) is not finite (NaN or Inf)")
                }
            }
            layers.append(DenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: w.shape[0]))
            inputs = w.shape[0]
        }
        guard !layers.isEmpty, inputs == names.count else {
            throw LoadError.tensorMismatch(path: path, tensor: "layers.\(max(layers.count - 1, 0)).weight",
                                           expected: "\(names.count) outputs (one per adapter)", found: "\(inputs)")
        }
        return Router(adapterNames: names, featurizer: settings, embedDim: dim, embedding: embedding, layers: layers,
                      selection: TopPSelection(p: p, weighting: weighting, maxAdapters: k))
    }
}
