// DecisionChecks.swift: the two ops that decide on the device, checked against their Swift reference:
// `sample` against NucleusSampling (the host sampler's rule) and `route_top_p` against TopPSelection
// (the router's rule), on the backend under test; and the router's whole forward on the backend
// (DeviceRouter: embedding_bag, gemm, relu, route_top_p) against the host Router.
import Foundation

enum DecisionChecks {
    static func all(_ pair: BackendPair) -> [SelfTestCheck] {
        var checks: [SelfTestCheck] = []
        for (temperature, topK, topP) in [(Float(0), 0, Float(1)), (0.8, 0, 1), (0.8, 50, 1), (1.0, 0, 0.9), (0.7, 40, 0.8), (1.5, 3, 0.5)] {
            checks += SelfTestCheck.guarded("sample", "rows=6 vocab=5000 t=\(temperature) k=\(topK) p=\(topP)", "-", on: pair.target) {
                [try sample(pair, rows: 6, vocab: 5000, temperature: temperature, topK: topK, topP: topP)]
            }
        }
        for (classes, p, weighting) in [(6, Float(0.6), PlanWeighting.softmax), (14, 0.9, .renormalize), (4, 1.0, .softmax)] {
            let selection = TopPSelection(p: p, weighting: weighting, maxAdapters: 3)
            checks += SelfTestCheck.guarded("route_top_p", label(9, classes, selection), "-", on: pair.target) {
                [try route(pair, sentences: 9, classes: classes, selection: selection)]
            }
        }
        checks += SelfTestCheck.guarded("router forward", "12 texts, 6 classes", "-", on: pair.target) { try routerForward(pair) }
        return checks
    }

    static let routerTexts = ["What is the date tomorrow?", "Play my road trip playlist.", "The pen is red.", "", "🙂🙂",
                              "Answer:", "Yesterday was April 30, 2021. What is the date 10 days ago in MM/DD/YYYY?",
                              "I feel sad today and nobody calls me.", "ಕನ್ನಡ ಪಠ್ಯ", "x = 3 * (y + 2)", "Wake me up at 7.",
                              String(repeating: "long sentence ", count: 90)]

    /// A random router (6 classes) on the backend under test against the same router on the host: the
    /// largest probability difference, and plans from route_top_p (infinity if a chosen adapter differs).
    static func routerForward(_ pair: BackendPair) throws -> [SelfTestCheck] {
        let names = (0..<6).map { "task\($0)" }
        let router = Router(adapterNames: names, featurizer: FeaturizerSettings(buckets: 4096), embedDim: 32, hidden: [64, 48],
                            selection: TopPSelection(p: 0.8, weighting: .softmax, maxAdapters: 3), seed: UInt64(pair.ints(1, in: 1..<1000)[0]))
        let device = try DeviceRouter(router: router, backend: pair.target)
        let probabilities = try device.probabilities(for: routerTexts)
        var worst = 0.0
        for (text, got) in zip(routerTexts, probabilities) {
            worst = max(worst, zip(got, router.probabilities(for: text)).map { Double(abs($0 - $1)) }.max() ?? .infinity)
        }
        var planError = 0.0
        for (text, plan) in zip(routerTexts, try device.plans(for: routerTexts)) {
            let expected = router.plan(for: text)
            guard plan.slots.map(\.adapter) == expected.slots.map(\.adapter) else { planError = .infinity; break }
            planError = max(planError, zip(plan.slots, expected.slots).map { Double(abs($0.weight - $1.weight)) }.max() ?? 0)
        }
        return [SelfTestCheck(name: "router forward", shape: "\(routerTexts.count) texts, 6 classes, probabilities", dtype: "f32",
                              maxError: worst, tolerance: 1e-5),
                SelfTestCheck(name: "router forward", shape: "\(routerTexts.count) texts, 6 classes, plans (route_top_p)", dtype: "f32",
                              maxError: planError, tolerance: 1e-5)]
    }

    /// Token ids of the backend's `sample` that differ from NucleusSampling's on the same draws.
    static func sample(_ pair: BackendPair, rows: Int, vocab: Int, temperature: Float, topK: Int, topP: Float) throws -> SelfTestCheck {
        var logits = pair.floats(rows * vocab, scale: 4)
        for row in 0..<rows {                                   // a tie at the top of every row, inside any nucleus
            logits[row * vocab + 3] = 5
            logits[row * vocab + 7] = 5
        }
        let uniforms = (0..<rows).map { _ in pair.unit() }
        let backend = pair.target
        let logitTensor = DeviceTensor(buffer: try backend.allocate(bytes: logits.count * 4), dtype: .f32, shape: [rows, vocab])
        try logitTensor.buffer.upload(logits)
        let uniformTensor = DeviceTensor(buffer: try backend.allocate(bytes: rows * 4), dtype: .f32, shape: [rows])
        try uniformTensor.buffer.upload(uniforms)
        let out = DeviceTensor(buffer: try backend.allocate(bytes: rows * 4), dtype: .f32, shape: [rows])
        try backend.sample(rows: rows, width: vocab, logits: logitTensor, temperature: temperature, topK: topK, topP: topP,
                           uniforms: uniformTensor, out: out)
        let got = try out.buffer.download(Int32.self, count: rows)
        let expected = (0..<rows).map { i in
            NucleusSampling.choose(logits[(i * vocab)..<((i + 1) * vocab)], temperature: temperature, topK: topK, topP: topP,
                                   uniform: Double(uniforms[i]))
        }
        return SelfTestCheck(name: "sample", shape: "rows=\(rows) vocab=\(vocab) T=\(temperature) k=\(topK) p=\(topP)", dtype: "-",
                             maxError: Double(zip(got, expected).filter { $0 != $1 }.count), tolerance: 0)
    }

    /// The largest weight difference to TopPSelection's plans (infinity when a chosen adapter differs).
    static func route(_ pair: BackendPair, sentences: Int, classes: Int, selection: TopPSelection) throws -> SelfTestCheck {
        let logits = pair.floats(sentences * classes, scale: 3)
        let backend = pair.target, k = max(selection.maxAdapters, 1)
        let logitTensor = DeviceTensor(buffer: try backend.allocate(bytes: logits.count * 4), dtype: .f32, shape: [sentences, classes])
        try logitTensor.buffer.upload(logits)
        let adapters = DeviceTensor(buffer: try backend.allocate(bytes: sentences * k * 4), dtype: .f32, shape: [sentences, k])
        let weights = DeviceTensor(buffer: try backend.allocate(bytes: sentences * k * 4), dtype: .f32, shape: [sentences, k])
        try backend.routeTopP(sentences: sentences, classes: classes, logits: logitTensor, selection: selection,
                              planAdapters: adapters, planWeights: weights)
        let gotAdapters = try adapters.buffer.download(Int32.self, count: sentences * k)
        let gotWeights = try weights.buffer.download(Float.self, count: sentences * k)
        var worst = 0.0
        for s in 0..<sentences {
            let row = Array(logits[(s * classes)..<((s + 1) * classes)])
            let top = row.max() ?? 0
            let e = row.map { expf($0 - top) }
            let total = e.reduce(0, +)
            let expected = selection.select(e.map { $0 / total })
            for j in 0..<k {
                let adapter = j < expected.count ? Int32(expected[j].index) : -1
                let weight = j < expected.count ? expected[j].weight : 0
                if gotAdapters[s * k + j] != adapter { return failed(sentences, classes, selection) }
                worst = max(worst, Double(abs(gotWeights[s * k + j] - weight)))
            }
        }
        return SelfTestCheck(name: "route_top_p", shape: label(sentences, classes, selection), dtype: "-", maxError: worst, tolerance: 1e-5)
    }

    private static func label(_ sentences: Int, _ classes: Int, _ selection: TopPSelection) -> String {
        "sentences=\(sentences) classes=\(classes) p=\(selection.p) K<=\(selection.maxAdapters) \(selection.weighting.rawValue)"
    }

    private static func failed(_ sentences: Int, _ classes: Int, _ selection: TopPSelection) -> SelfTestCheck {
        SelfTestCheck(name: "route_top_p", shape: label(sentences, classes, selection) + " (adapters differ)", dtype: "-",
                      maxError: .infinity, tolerance: 1e-5)
    }
}
