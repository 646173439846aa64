// RouterTraining.swift: trains the mini-MLP on CPU: cross-entropy, Adam (lazy on the embedding rows a
// batch touches), class-balanced sampling, sentence-level augmentation (each training text's sentences
// are also examples of its class, since routing happens per sentence), a validation split for early
// stopping, and a fixed seed that gives the same weights and so the same file.
import CKernels
import Foundation

/// Settings of router training.
public struct RouterTrainingConfig: Sendable {
    public var featurizer = FeaturizerSettings()
    public var embedDim = 64
    public var hidden = [256, 256, 128]
    public var epochs = 20
    public var batchSize = 32
    public var learningRate: Float = 2e-3
    /// Epochs without a better validation accuracy before stopping.
    public var patience = 3
    /// Part of the training set kept aside to pick the best epoch.
    public var validationFraction = 0.1
    /// Add every sentence (3+ words) of a multi-sentence text as an example of its class.
    public var sentenceAugmentation = true
    public var seed: UInt64 = 1
    public var selection = TopPSelection()

    public init() {}

    /// Why these settings cannot train a router, or nil.
    public var problem: String? {
        if let problem = featurizer.problem { return problem }
        guard (1...Router.maximumWidth).contains(embedDim) else { return "embedding width \(embedDim): give 1 to \(Router.maximumWidth)" }
        guard !hidden.isEmpty, hidden.count <= 8 else { return "hidden layers: give 1 to 8 widths" }
        if let bad = hidden.first(where: { !(1...Router.maximumWidth).contains($0) }) { return "hidden width \(bad): give 1 to \(Router.maximumWidth)" }
        guard (1...10_000).contains(epochs) else { return "epochs \(epochs): give 1 to 10000" }
        guard (1...4096).contains(batchSize) else { return "batch size \(batchSize): give 1 to 4096" }
        guard learningRate.isFinite, learningRate > 0 else { return "learning rate \(learningRate): give a finite positive number" }
        guard patience >= 1 else { return "patience \(patience): give at least 1" }
        guard validationFraction.isFinite, (0...0.9).contains(validationFraction) else { return "validation fraction \(validationFraction): give 0 to 0.9" }
        guard selection.p.isFinite, selection.p > 0, selection.p <= 1 else { return "top-p \(selection.p): give a number in (0, 1]" }
        guard (1...64).contains(selection.maxAdapters) else { return "max adapters \(selection.maxAdapters): give 1 to 64" }
        return nil
    }
}

/// Why a router could not be trained.
public enum RouterTrainingError: Error, CustomStringConvertible, Equatable {
    case invalidSetting(String)
    case noTrainingTexts(String)

    public var description: String {
        switch self {
        case let .invalidSetting(problem): return "router training: \(problem)"
        case let .noTrainingTexts(label): return "router training: class '\(label)' has no training texts (fewer texts than the held-out and validation parts take?)"
        }
    }
}

/// What one epoch did.
public struct EpochReport: Sendable {
    public let epoch: Int
    public let loss: Double
    public let trainAccuracy: Double
    public let validationAccuracy: Double
    public let seconds: Double
}

/// Accuracy per class and the confusion matrix of a router on labelled texts.
public struct RoutingEvaluation: Sendable {
    public let labels: [String]
    /// confusion[truth][predicted]
    public let confusion: [[Int]]

    public var accuracy: Double {
        let total = confusion.joined().reduce(0, +)
        return total == 0 ? 0 : Double(confusion.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(total)
    }

    public func accuracy(of label: Int) -> Double {
        let row = confusion[label].reduce(0, +)
        return row == 0 ? 0 : Double(confusion[label][label]) / Double(row)
    }

    /// Evaluates `router` (whose adapter names must be the dataset's labels) on `dataset`.
    public static func evaluate(_ router: Router, on dataset: RoutingDataset) throws -> RoutingEvaluation {
        let index = Dictionary(uniqueKeysWithValues: router.adapterNames.enumerated().map { ($1, $0) })
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: dataset.labels.count), count: dataset.labels.count)
        for example in dataset.examples {
            guard let truthInRouter = index[dataset.labels[example.label]] else {
                throw LoadError.invalidConfig(path: "router", field: "adapters", reason: "the router does not know the class '\(dataset.labels[example.label])'")
            }
            let p = router.probabilities(for: example.text)
            let predicted = p.indices.max { p[$0] < p[$1] } ?? 0
            let predictedLabel = dataset.labels.firstIndex(of: router.adapterNames[predicted]) ?? truthInRouter
            confusion[example.label][predictedLabel] += 1
        }
        return RoutingEvaluation(labels: dataset.labels, confusion: confusion)
    }
}

public enum RouterTrainer {
    /// Trains a router on `dataset`; `progress` is told about every epoch and, within it, the step.
    public static func train(_ dataset: RoutingDataset, config: RouterTrainingConfig,
                             onStep: (Int, Int) -> Void = { _, _ in },
                             onEpoch: (EpochReport) -> Void = { _ in }) throws -> Router {
        if let problem = config.problem { throw RouterTrainingError.invalidSetting(problem) }
        let router = Router(adapterNames: dataset.labels, featurizer: config.featurizer, embedDim: config.embedDim,
                            hidden: config.hidden, selection: config.selection, seed: config.seed)
        let (trainSet, validation) = dataset.split(heldOut: config.validationFraction, seed: config.seed &+ 1)
        // features once; the per-class pools include each text's sentences
        var pools = [[[Int32]]](repeating: [], count: dataset.labels.count)
        for example in trainSet.examples {
            pools[example.label].append(router.featurizer.features(example.text))
            guard config.sentenceAugmentation else { continue }
            let sentences = SentenceSegmenter.split(example.text)
            if sentences.count > 1 {
                for s in sentences where s.text.split(separator: " ").count >= 3 {
                    pools[example.label].append(router.featurizer.features(s.text))
                }
            }
        }
        let validationFeatures = validation.examples.map { (router.featurizer.features($0.text), $0.label) }
        var state = TrainingState(router: router)
        var generator = SeededGenerator(seed: config.seed &+ 2)
        if let empty = pools.indices.first(where: { pools[$0].isEmpty }) { throw RouterTrainingError.noTrainingTexts(dataset.labels[empty]) }
        let steps = max(1, trainSet.examples.count / config.batchSize)
        var best = (accuracy: -1.0, embedding: router.embedding, layers: router.layers)
        var sinceBest = 0
        for epoch in 1...max(1, config.epochs) {
            let start = Date()
            var lossSum = 0.0, correct = 0, seen = 0
            for step in 0..<steps {
                var batch: [([Int32], Int)] = []
                for _ in 0..<config.batchSize {
                    let label = Int(generator.next() % UInt64(pools.count))
                    let pool = pools[label]
                    batch.append((pool[Int(generator.next() % UInt64(pool.count))], label))
                }
                let (loss, hits) = state.step(batch, learningRate: config.learningRate)
                lossSum += loss
                correct += hits
                seen += batch.count
                onStep(step + 1, steps)
            }
            // balanced accuracy (the mean over classes): a class of 30 texts counts as much as one of 2,000,
            // so the epoch kept is not the one that sacrificed the small classes
            var hits = [Int](repeating: 0, count: dataset.labels.count), totals = hits
            for (features, label) in validationFeatures {
                totals[label] += 1
                if state.predict(features) == label { hits[label] += 1 }
            }
            let present = totals.indices.filter { totals[$0] > 0 }
            let validationAccuracy = present.isEmpty ? Double(correct) / Double(seen)
                : present.map { Double(hits[$0]) / Double(totals[$0]) }.reduce(0, +) / Double(present.count)
            onEpoch(EpochReport(epoch: epoch, loss: lossSum / Double(steps), trainAccuracy: Double(correct) / Double(seen),
                                validationAccuracy: validationAccuracy, seconds: Date().timeIntervalSince(start)))
            if validationAccuracy > best.accuracy {
                best = (validationAccuracy, router.embedding, router.layers)
                sinceBest = 0
            } else if validationAccuracy == best.accuracy {
                // a tie keeps the later, longer-trained epoch, but patience still runs out
                best = (validationAccuracy, router.embedding, router.layers)
                sinceBest += 1
                if sinceBest >= config.patience { break }
            } else {
                sinceBest += 1
                if sinceBest >= config.patience { break }
            }
        }
        router.embedding = best.embedding
        router.layers = best.layers
        return router
    }
}

/// Buffers and Adam moments for training one router.
private struct TrainingState {
    let router: Router
    var embeddingM: [Float], embeddingV: [Float]
    var layerM: [[Float]], layerV: [[Float]], biasM: [[Float]], biasV: [[Float]]
    var t = 0
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8

    init(router: Router) {
        self.router = router
        embeddingM = [Float](repeating: 0, count: router.embedding.count)
        embeddingV = embeddingM
        layerM = router.layers.map { [Float](repeating: 0, count: $0.weight.count) }
        layerV = layerM
        biasM = router.layers.map { [Float](repeating: 0, count: $0.bias.count) }
        biasV = biasM
    }

    /// Activations of a batch: [0] the embedding bags, then each layer's output (pre-activation kept for ReLU).
    func forward(_ bags: [Float], rows: Int) -> (outputs: [[Float]], preActivations: [[Float]]) {
        var outputs = [bags], pre: [[Float]] = []
        for (index, layer) in router.layers.enumerated() {
            var z = [Float](repeating: 0, count: rows * layer.outputs)
            for r in 0..<rows { for o in 0..<layer.outputs { z[r * layer.outputs + o] = layer.bias[o] } }
            let input = outputs[outputs.count - 1]
            input.withUnsafeBufferPointer { x in
                layer.weight.withUnsafeBufferPointer { w in
                    z.withUnsafeMutableBufferPointer { y in
                        dlp_host_sgemm(0, 1, Int64(rows), Int64(layer.outputs), Int64(layer.inputs), 1, x.baseAddress, Int64(layer.inputs),
                                       w.baseAddress, Int64(layer.inputs), 1, y.baseAddress, Int64(layer.outputs))
                    }
                }
            }
            pre.append(z)
            outputs.append(index < router.layers.count - 1 ? z.map { max($0, 0) } : z)
        }
        return (outputs, pre)
    }

    func bags(_ batch: [([Int32], Int)]) -> [Float] {
        let dim = router.embedDim
        var bags = [Float](repeating: 0, count: batch.count * dim)
        bags.withUnsafeMutableBufferPointer { out in
            for (i, item) in batch.enumerated() { router.embeddingBag(item.0, into: out.baseAddress! + i * dim) }
        }
        return bags
    }

    func predict(_ features: [Int32]) -> Int {
        let logits = forward(bags([(features, 0)]), rows: 1).outputs.last ?? []
        return logits.indices.max { logits[$0] < logits[$1] } ?? 0
    }

    /// One Adam step on a batch; returns (mean loss, correct predictions).
    mutating func step(_ batch: [([Int32], Int)], learningRate: Float) -> (Double, Int) {
        let rows = batch.count, classes = router.adapterNames.count, dim = router.embedDim
        let x = bags(batch)
        let (outputs, pre) = forward(x, rows: rows)
        // softmax cross-entropy
        var delta = outputs[outputs.count - 1]
        var loss = 0.0, hits = 0
        for r in 0..<rows {
            let row = Array(delta[(r * classes)..<((r + 1) * classes)])
            let p = Router.softmax(row)
            let label = batch[r].1
            loss -= log(Double(max(p[label], 1e-12)))
            if (row.indices.max { row[$0] < row[$1] } ?? -1) == label { hits += 1 }
            for c in 0..<classes { delta[r * classes + c] = (p[c] - (c == label ? 1 : 0)) / Float(rows) }
        }
        t += 1
        let correction1 = 1 - powf(beta1, Float(t)), correction2 = 1 - powf(beta2, Float(t))
        // backward through the layers, newest first
        for index in stride(from: router.layers.count - 1, through: 0, by: -1) {
            let layer = router.layers[index]
            let input = outputs[index]
            var weightGrad = [Float](repeating: 0, count: layer.weight.count)
            delta.withUnsafeBufferPointer { d in
                input.withUnsafeBufferPointer { a in
                    weightGrad.withUnsafeMutableBufferPointer { g in
                        dlp_host_sgemm(1, 0, Int64(layer.outputs), Int64(layer.inputs), Int64(rows), 1, d.baseAddress, Int64(layer.outputs),
                                       a.baseAddress, Int64(layer.inputs), 0, g.baseAddress, Int64(layer.inputs))
                    }
                }
            }
            var biasGrad = [Float](repeating: 0, count: layer.outputs)
            delta.withUnsafeBufferPointer { d in
                for r in 0..<rows { for o in 0..<layer.outputs { biasGrad[o] += d[r * layer.outputs + o] } }
            }
            var inputGrad = [Float](repeating: 0, count: rows * layer.inputs)
            delta.withUnsafeBufferPointer { d in
                layer.weight.withUnsafeBufferPointer { w in
                    inputGrad.withUnsafeMutableBufferPointer { g in
                        dlp_host_sgemm(0, 0, Int64(rows), Int64(layer.inputs), Int64(layer.outputs), 1, d.baseAddress, Int64(layer.outputs),
                                       w.baseAddress, Int64(layer.inputs), 0, g.baseAddress, Int64(layer.inputs))
                    }
                }
            }
            if index > 0 { for i in inputGrad.indices where pre[index - 1][i] <= 0 { inputGrad[i] = 0 } }
            adam(&router.layers[index].weight, weightGrad, &layerM[index], &layerV[index], learningRate, correction1, correction2)
            adam(&router.layers[index].bias, biasGrad, &biasM[index], &biasV[index], learningRate, correction1, correction2)
            delta = inputGrad
        }
        // the embedding rows each example touched: d bag / d row = 1 / count
        var features: [Int32] = [], offsets: [Int64] = [0]
        for item in batch { features += item.0; offsets.append(Int64(features.count)) }
        var pairs = [Int32](repeating: 0, count: 2 * max(features.count, 1))
        var rowGrad = [Float](repeating: 0, count: dim)
        router.embedding.withUnsafeMutableBufferPointer { table in
            embeddingM.withUnsafeMutableBufferPointer { m in
                embeddingV.withUnsafeMutableBufferPointer { v in
                    dlp_host_embedding_adam(table.baseAddress, m.baseAddress, v.baseAddress, Int64(dim), features, offsets, Int64(rows), delta,
                                            learningRate, beta1, beta2, epsilon, correction1, correction2, &pairs, &rowGrad)
                }
            }
        }
        return (loss / Double(rows), hits)
    }

    private func adam(_ param: inout [Float], _ grad: [Float], _ m: inout [Float], _ v: inout [Float],
                      _ lr: Float, _ c1: Float, _ c2: Float) {
        dlp_host_adam(&param, grad, &m, &v, Int64(param.count), lr, beta1, beta2, epsilon, c1, c2)
    }
}
