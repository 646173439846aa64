// RouterTests.swift: top-p selection edge cases (ties, p=0, p=1, one adapter, the K cap) with weights
// that sum to 1; training that is deterministic to the byte for a seed and learns a separable task; router
// files checked on load; prompt rows mapped to their sentence's plan.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct TopPSelectionTests {
    @Test func nucleusKeepsUpToTheCrossingItem() {
        let s = TopPSelection(p: 0.6, weighting: .renormalize, maxAdapters: 8)
        #expect(s.select([0.5, 0.3, 0.2]).map(\.index) == [0, 1])           // 0.5 < 0.6, 0.8 crosses
        #expect(s.select([0.2, 0.7, 0.1]).map(\.index) == [1])              // the top alone crosses
        #expect(s.select([0.6, 0.4]).map(\.index) == [0])                   // reaching p exactly stops
    }

    @Test func edgeCases() {
        let tie = TopPSelection(p: 0.5, weighting: .renormalize, maxAdapters: 8).select([0.25, 0.25, 0.25, 0.25])
        #expect(tie.map(\.index) == [0, 1])                                  // ties: lower index first
        #expect(TopPSelection(p: 0, maxAdapters: 8).select([0.1, 0.9]).map(\.index) == [1])    // p = 0: at least one
        #expect(TopPSelection(p: 1, maxAdapters: 8).select([0.1, 0.2, 0.3, 0.4]).count == 4)   // p = 1: all
        #expect(TopPSelection(p: 1, maxAdapters: 2).select([0.1, 0.2, 0.3, 0.4]).map(\.index) == [3, 2])  // K cap
        #expect(TopPSelection(p: 0.9).select([1]).map(\.weight) == [1])      // one adapter
        #expect(TopPSelection().select([]).isEmpty)
    }

    @Test(arguments: PlanWeighting.allCases)
    func weightsSumToOne(weighting: PlanWeighting) {
        var random = TestRandom(5)
        for _ in 0..<50 {
            let raw = random.floats(7).map { abs($0) + 0.01 }
            let total = raw.reduce(0, +)
            let chosen = TopPSelection(p: 0.7, weighting: weighting, maxAdapters: 4).select(raw.map { $0 / total })
            #expect(abs(chosen.map(\.weight).reduce(0, +) - 1) < 1e-5)
            #expect(chosen.count >= 1 && chosen.count <= 4)
        }
        // softmax over kept probabilities (the paper's code) vs renormalized
        let kept = TopPSelection(p: 0.75, weighting: weighting, maxAdapters: 3).select([0.5, 0.3, 0.2])
        let expected: [Float] = weighting == .renormalize ? [0.625, 0.375] : [expf(0.5) / (expf(0.5) + expf(0.3)), expf(0.3) / (expf(0.5) + expf(0.3))]
        #expect(zip(kept.map(\.weight), expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}

/// A small separable dataset: three "tasks" with their own vocabulary.
func syntheticRoutingData(perClass: Int = 60, seed: UInt64 = 3) -> RoutingDataset {
    let vocab = [["goal", "match", "striker", "league", "coach", "penalty"],
                 ["oven", "flour", "recipe", "bake", "sugar", "dough"],
                 ["orbit", "planet", "rocket", "comet", "galaxy", "telescope"]]
    var generator = SeededGenerator(seed: seed)
    var examples: [RoutingExample] = []
    for (label, words) in vocab.enumerated() {
        for _ in 0..<perClass {
            let n = 4 + Int(generator.next() % 5)
            let text = (0..<n).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ") + "."
            examples.append(RoutingExample(text: text.prefix(1).uppercased() + text.dropFirst(), label: label))
        }
    }
    return RoutingDataset(labels: ["sports", "baking", "space"], examples: examples)
}

func smallRouterConfig(seed: UInt64 = 7) -> RouterTrainingConfig {
    var config = RouterTrainingConfig()
    config.featurizer = FeaturizerSettings(buckets: 2048, charNgramMin: 3, charNgramMax: 4, wordBigrams: true, maxCharacters: 400)
    config.embedDim = 16
    config.hidden = [32, 32, 16]
    config.epochs = 6
    config.batchSize = 16
    config.learningRate = 5e-3
    config.seed = seed
    return config
}

@Suite struct RouterTrainingTests {
    @Test func sameSeedGivesByteIdenticalFilesAndItLearns() throws {
        let data = syntheticRoutingData()
        let (train, held) = data.split(heldOut: 0.25, seed: 1)
        let dir = try Fixtures.temporaryDirectory()
        let a = try RouterTrainer.train(train, config: smallRouterConfig())
        let b = try RouterTrainer.train(train, config: smallRouterConfig())
        try a.save(to: dir + "/a.safetensors")
        try b.save(to: dir + "/b.safetensors")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.safetensors")) == Data(contentsOf: URL(fileURLWithPath: dir + "/b.safetensors")))
        let c = try RouterTrainer.train(train, config: smallRouterConfig(seed: 8))
        #expect(c.embedding != a.embedding)
        #expect(try RoutingEvaluation.evaluate(a, on: held).accuracy >= 0.95)
        // the file round-trips
        let loaded = try Router.load(path: dir + "/a.safetensors")
        #expect(loaded.adapterNames == ["sports", "baking", "space"])
        #expect(loaded.probabilities(for: "The rocket left orbit.") == a.probabilities(for: "The rocket left orbit."))
        #expect(loaded.parameterCount == a.parameterCount)
    }

    @Test func routerFilesAreChecked() throws {
        let dir = try Fixtures.temporaryDirectory()
        let router = try RouterTrainer.train(syntheticRoutingData(perClass: 10), config: { var c = smallRouterConfig(); c.epochs = 1; return c }())
        try router.save(to: dir + "/r.safetensors")
        expectLoadError({ try router.checkAdapters(["sports", "baking"], routerPath: dir + "/r.safetensors") },
                        mentions: ["r.safetensors", "sports, baking, space", "[sports, baking]"])
        try SafetensorsWriter.write([.f32(name: "embedding", shape: [2, 2], values: [0, 0, 0, 0])], metadata: ["format": "other"], to: dir + "/bad.safetensors")
        expectLoadError({ _ = try Router.load(path: dir + "/bad.safetensors") }, mentions: ["bad.safetensors", "format", "dlp-router/2", "dlp-router/1"])
        expectLoadError({ _ = try Router.load(path: Fixtures.path("tiny-llama/model.safetensors")) }, mentions: ["format"])
    }

    @Test func dataFormats() throws {
        let dir = try Fixtures.temporaryDirectory()
        try Data(#"[{"Q": "one", "A": "x"}, {"Q": "two", "A": "y"}]"#.utf8).write(to: URL(fileURLWithPath: dir + "/alpha.json"))
        try FileManager.default.createDirectory(atPath: dir + "/beta", withIntermediateDirectories: true)
        try Data(#"[{"Q": "three", "A": "z"}]"#.utf8).write(to: URL(fileURLWithPath: dir + "/beta/part.json"))
        try Data("{\"text\": \"four\", \"label\": \"gamma\"}\n{\"text\": \"five\", \"label\": \"alpha\"}\n".utf8).write(to: URL(fileURLWithPath: dir + "/more.jsonl"))
        let data = try RoutingDataset.load(paths: [dir])
        #expect(data.labels == ["alpha", "beta", "gamma"])
        #expect(data.examples.count == 5)
        try Data("{\"text\": 1}\n".utf8).write(to: URL(fileURLWithPath: dir + "/broken.jsonl"))
        expectLoadError({ _ = try RoutingDataset.load(paths: [dir + "/broken.jsonl"]) }, mentions: ["broken.jsonl", "line 1"])
    }
}
