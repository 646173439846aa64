// BigBenchRoutingTests.swift: the router on real BIG-bench tasks (scripts/fetch-bigbench.sh puts them in
// .cache; `make test` fetches them): trained on 80% of each task it classifies the held-out 20% with at
// least 98.5% accuracy, on the 14 tasks of the router benchmark and on 16 tasks it was never tuned on
// (emoji-only inputs, brackets, ASCII art, SVG paths, code, Kannada, Hindi, Persian, IPA; 34 to 2,000
// texts a task); a composite prompt of held-out sentences from different tasks routes each sentence to
// its own task.
import Foundation
import Testing
@testable import DLPLoRA

enum BigBench {
    static var routerData: String? {
        let path = ProcessInfo.processInfo.environment["DLP_BIGBENCH"] ?? (Fixtures.repository + "/.cache/bigbench/router")
        return FileManager.default.fileExists(atPath: path + "/navigate.json") ? path : nil
    }
    static var heldOutTasks: String? {
        let path = Fixtures.repository + "/.cache/bigbench/router-heldout"
        return FileManager.default.fileExists(atPath: path + "/emojis_emotion_prediction.json") ? path : nil
    }
}

@Suite(.enabled(if: BigBench.routerData != nil, "BIG-bench tasks not in .cache (run scripts/fetch-bigbench.sh)"))
struct BigBenchRoutingTests {
    @Test func heldOutAccuracyAndCompositePrompts() throws {
        let data = try RoutingDataset.load(paths: [try #require(BigBench.routerData)], maxPerLabel: 2000)
        #expect(data.labels.count >= 10)
        let (train, held) = data.split(heldOut: 0.2, seed: 1)
        let config = RouterTrainingConfig()          // the settings train-router uses
        let router = try RouterTrainer.train(train, config: config)
        let evaluation = try RoutingEvaluation.evaluate(router, on: held)
        #expect(evaluation.accuracy >= 0.985, "held-out accuracy \(evaluation.accuracy)")

        // composite prompts: one held-out text each from two tasks, sentence by sentence
        let sentenceRouter = SentenceRouter(router: router)
        var checked = 0, correct = 0
        for (a, b) in [("date_understanding", "sports_understanding"), ("navigate", "strategyqa"), ("intent_recognition", "date_understanding")] {
            let ia = try #require(data.labels.firstIndex(of: a)), ib = try #require(data.labels.firstIndex(of: b))
            for k in 0..<5 {
                let ta = held.examples.filter { $0.label == ia }[k].text, tb = held.examples.filter { $0.label == ib }[k].text
                let routed = sentenceRouter.route(ta + " " + tb)
                let cut = SentenceSegmenter.split(ta).count
                for (i, item) in routed.enumerated() {
                    checked += 1
                    if item.plan.slots.first?.adapter == (i < cut ? a : b) { correct += 1 }
                }
            }
        }
        #expect(checked >= 30)
        #expect(Double(correct) / Double(checked) >= 0.9, "\(correct) of \(checked) composite sentences routed to their task")
    }

    @Test(.enabled(if: BigBench.heldOutTasks != nil, "held-out BIG-bench tasks not in .cache (run scripts/fetch-bigbench.sh)"))
    func tasksNeverTunedOnIncludingSymbolsScriptsAndSmallClasses() throws {
        let data = try RoutingDataset.load(paths: [try #require(BigBench.heldOutTasks)], maxPerLabel: 2000)
        #expect(data.labels.count >= 12)
        let sizes = data.labels.indices.map { label in data.examples.filter { $0.label == label }.count }
        #expect(sizes.min()! <= 50 && sizes.max()! >= 2000, "class sizes \(sizes)")
        let (train, held) = data.split(heldOut: 0.2, seed: 1)
        let started = ContinuousClock.now
        let router = try RouterTrainer.train(train, config: RouterTrainingConfig())
        let trainingTime = ContinuousClock.now - started
        let evaluation = try RoutingEvaluation.evaluate(router, on: held)
        for (i, label) in data.labels.enumerated() {
            print("held-out routing: \(label) \(evaluation.accuracy(of: i))")
            #expect(evaluation.accuracy(of: i) >= 0.8, "\(label): \(evaluation.accuracy(of: i))")
        }
        #expect(evaluation.accuracy >= 0.985, "held-out accuracy \(evaluation.accuracy)")
        #expect(trainingTime < .seconds(120), "training took \(trainingTime) (debug build)")
    }
}
