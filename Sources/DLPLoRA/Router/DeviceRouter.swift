// DeviceRouter.swift: the router's forward on a kernel backend for a batch of texts. The features are
// hashed on the host and go up in one upload (feature ids and per-text offsets); embedding_bag, the dense
// layers (gemm with bias, relu between) and, for plans, route_top_p run on the backend; one download
// brings back the logits or the plan rows. The weights go up once, when it is made. Equal to the host
// Router up to the backend's summation order in the dense layers.
import Foundation

public final class DeviceRouter: @unchecked Sendable {
    public let router: Router
    public let backend: KernelBackend
    private let embedding: DeviceTensor                               // f32 [buckets, embedDim]
    private let layers: [(weight: DeviceTensor, bias: DeviceTensor)]   // f32 [outputs, inputs], [outputs]
    private let pool: ScratchPool
    private let widest: Int
    /// One batch at a time (the pool's buffers are shared).
    private let lock = NSLock()

    /// The router's weights uploaded to `backend`.
    public init(router: Router, backend: KernelBackend) throws {
        self.router = router
        self.backend = backend
        func upload(_ values: [Float], _ shape: [Int]) throws -> DeviceTensor {
            let tensor = DeviceTensor(buffer: try backend.allocate(bytes: values.count * 4), dtype: .f32, shape: shape)
            try tensor.buffer.upload(values)
            return tensor
        }
        embedding = try upload(router.embedding, [router.embedding.count / router.embedDim, router.embedDim])
        layers = try router.layers.map { (try upload($0.weight, [$0.outputs, $0.inputs]), try upload($0.bias, [$0.outputs])) }
        widest = max(router.embedDim, router.layers.map(\.outputs).max() ?? 1)
        pool = ScratchPool(backend: backend)
    }

    /// The logits f32 [texts.count, classes] left in the pool's "logits" buffer.
    private func forward(_ texts: [String]) throws -> DeviceTensor {
        var features: [Int32] = [], offsets: [Int32] = [0]
        for text in texts {
            features += router.featurizer.features(text)
            guard features.count <= Int(Int32.max) else { throw InferenceError.invalidRequest("too many router features in one batch") }
            offsets.append(Int32(features.count))
        }
        var inputs = StepInputs()
        let featuresAt = inputs.append(features), offsetsAt = inputs.append(offsets)
        let uploaded = try inputs.upload(into: pool)
        let s = texts.count
        var x = try pool.tensor("router_a", count: s * widest, shape: [s, router.embedDim])
        try backend.embeddingBag(sentences: s, embedding: embedding, features: uploaded.tensor(at: featuresAt, shape: [features.count]),
                                 offsets: uploaded.tensor(at: offsetsAt, shape: [s + 1]), out: x)
        var spare = try pool.tensor("router_b", count: s * widest, shape: [s, widest])
        for (index, layer) in layers.enumerated() {
            let outputs = layer.weight.shape[0]
            let y = DeviceTensor(buffer: spare.buffer, dtype: .f32, shape: [s, outputs])
            try backend.gemm(rows: s, x: x, weight: layer.weight, bias: layer.bias, y: y)
            if index < layers.count - 1 { try backend.relu(rows: s, width: outputs, x: y) }
            spare = DeviceTensor(buffer: x.buffer, dtype: .f32, shape: [s, widest])
            x = y
        }
        return x
    }

    /// The router's logits for each text.
    public func logits(for texts: [String]) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        return try lock.withLock {
            let classes = router.adapterNames.count
            let flat = try forward(texts).buffer.download(Float.self, count: texts.count * classes)
            return (0..<texts.count).map { Array(flat[($0 * classes)..<(($0 + 1) * classes)]) }
        }
    }

    /// Class probabilities for each text (the softmax of its logits, on the host).
    public func probabilities(for texts: [String]) throws -> [[Float]] {
        try logits(for: texts).map(Router.softmax)
    }

    /// The plan of each text under the router's top-p rule, chosen on the backend (route_top_p): one
    /// download of the plan rows.
    public func plans(for texts: [String]) throws -> [FusionPlan] {
        guard !texts.isEmpty else { return [] }
        return try lock.withLock {
            let s = texts.count, classes = router.adapterNames.count, kMax = max(router.selection.maxAdapters, 1)
            let logits = try forward(texts)
            // adapters i32 [s, kMax] then weights f32 [s, kMax] in one buffer: one download
            let rows = try pool.tensor("router_plans", count: 2 * s * kMax, shape: [2 * s * kMax])
            let adapters = DeviceTensor(buffer: rows.buffer, dtype: .f32, shape: [s, kMax])
            let weights = DeviceTensor(buffer: rows.buffer, byteOffset: s * kMax * 4, dtype: .f32, shape: [s, kMax])
            try backend.routeTopP(sentences: s, classes: classes, logits: logits, selection: router.selection,
                                  planAdapters: adapters, planWeights: weights)
            let words = try rows.buffer.download(UInt32.self, count: 2 * s * kMax)
            return (0..<s).map { i in
                FusionPlan((0..<kMax).compactMap { j -> FusionPlan.Slot? in
                    let adapter = Int32(bitPattern: words[i * kMax + j])
                    guard adapter >= 0, Int(adapter) < classes else { return nil }
                    return FusionPlan.Slot(adapter: router.adapterNames[Int(adapter)], weight: Float(bitPattern: words[(s + i) * kMax + j]))
                })
            }
        }
    }
}
