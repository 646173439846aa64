// Router.swift: the DLP plugin's mini-MLP: hashed features -> an embedding bag (mean of the features'
// rows) -> four dense layers (ReLU between) -> logits over the adapters -> softmax; the top-p rule turns
// the probabilities into a fusion plan. Saved as one safetensors file whose metadata names the adapters
// in class order, the featurizer settings and the top-p defaults.
import CKernels
import Foundation

/// One dense layer: y = W x + b, W [outputs, inputs].
struct DenseLayer: Sendable {
    var weight: [Float]
    var bias: [Float]
    let inputs: Int
    let outputs: Int
}

/// A trained router over named adapters.
public final class Router: @unchecked Sendable {
    /// Adapter names in class order.
    public let adapterNames: [String]
    public let featurizerSettings: FeaturizerSettings
    /// The top-p rule used by `plan(for:)`.
    public var selection: TopPSelection
    let featurizer: HashedFeaturizer
    let embedDim: Int
    var embedding: [Float]          // [buckets, embedDim]
    var layers: [DenseLayer]        // hidden layers then the output layer

    /// dlp-router/2 adds scalar-class features (builds that know only /1 refuse it instead of computing
    /// other features); /1 files load without them.
    static let format = "dlp-router/2"
    static let formatWithoutClasses = "dlp-router/1"
    /// The widest embedding or layer a router may have.
    public static let maximumWidth = 4096

    init(adapterNames: [String], featurizer settings: FeaturizerSettings, embedDim: Int, hidden: [Int],
         selection: TopPSelection, seed: UInt64) {
        self.adapterNames = adapterNames
        featurizerSettings = settings
        featurizer = HashedFeaturizer(settings: settings)
        self.embedDim = embedDim
        self.selection = selection
        var generator = SeededGenerator(seed: seed)
        func uniform(_ n: Int, _ limit: Float) -> [Float] { (0..<n).map { _ in Float(generator.nextUnit() * 2 - 1) * limit } }
        embedding = uniform(settings.buckets * embedDim, 0.1)
        var widths = [embedDim] + hidden + [adapterNames.count]
        layers = []
        for i in 0..<(widths.count - 1) {
            let (n, m) = (widths[i], widths[i + 1])
            layers.append(DenseLayer(weight: uniform(m * n, (6 / Float(n + m)).squareRoot()), bias: [Float](repeating: 0, count: m), inputs: n, outputs: m))
        }
        widths.removeAll()
    }

    init(adapterNames: [String], featurizer settings: FeaturizerSettings, embedDim: Int, embedding: [Float],
         layers: [DenseLayer], selection: TopPSelection) {
        self.adapterNames = adapterNames
        featurizerSettings = settings
        featurizer = HashedFeaturizer(settings: settings)
        self.embedDim = embedDim
        self.embedding = embedding
        self.layers = layers
        self.selection = selection
    }

    /// Number of trained weights.
    public var parameterCount: Int { embedding.count + layers.reduce(0) { $0 + $1.weight.count + $1.bias.count } }

    /// Mean of the embedding rows of `features` into `out` [embedDim].
    func embeddingBag(_ features: [Int32], into out: UnsafeMutablePointer<Float>) {
        embedding.withUnsafeBufferPointer { dlp_host_embedding_bag($0.baseAddress, Int64(embedDim), features, Int64(features.count), out) }
    }

    /// Class probabilities for `text`.
    public func probabilities(for text: String) -> [Float] {
        var activation = [Float](repeating: 0, count: embedDim)
        activation.withUnsafeMutableBufferPointer { embeddingBag(featurizer.features(text), into: $0.baseAddress!) }
        for (index, layer) in layers.enumerated() {
            var next = layer.bias
            layer.weight.withUnsafeBufferPointer { w in
                activation.withUnsafeBufferPointer { x in
                    next.withUnsafeMutableBufferPointer { y in
                        dlp_host_sgemm(0, 1, 1, Int64(layer.outputs), Int64(layer.inputs), 1, x.baseAddress, Int64(layer.inputs),
                                       w.baseAddress, Int64(layer.inputs), 1, y.baseAddress, Int64(layer.outputs))
                    }
                }
            }
            if index < layers.count - 1 { for i in next.indices where next[i] < 0 { next[i] = 0 } }
            activation = next
        }
        return Self.softmax(activation)
    }

    /// The fusion plan for `text` under `selection`.
    public func plan(for text: String) -> FusionPlan { selection.plan(probabilities(for: text), names: adapterNames) }

    static func softmax(_ logits: [Float]) -> [Float] {
        let top = logits.max() ?? 0
        let e = logits.map { expf($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// Throws unless `loaded` are exactly the adapters this router was trained for.
    public func checkAdapters(_ loaded: [String], routerPath: String) throws {
        guard Set(loaded) == Set(adapterNames) else {
            throw LoadError.invalidConfig(path: routerPath, field: "adapters",
                                          reason: "the router was trained for [\(adapterNames.joined(separator: ", "))], the loaded adapters are [\(loaded.joined(separator: ", "))]")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
