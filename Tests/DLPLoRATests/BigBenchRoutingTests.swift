// BigBenchRoutingTests.swift: the router on real BIG-bench tasks (scripts/fetch-bigbench.sh puts 14 tasks
// in .cache; `make test` fetches them): trained on 80% of each task it classifies the held-out 20% with at
// least 98.5% accuracy, and a composite prompt of held-out sentences from different tasks routes each
// sentence to its own task.
import Foundation
import Testing
@testable import DLPLoRA

enum BigBench {
    static var routerData: String? {
        let path = ProcessInfo.processInfo.environment["DLP_BIGBENCH"] ?? (Fixtures.repository + "/.cache/bigbench/router")
        return FileManager.default.fileExists(atPath: path + "/navigate.json") ? path : nil
    }
}

@Suite(.enabled(if: BigBench.routerData != nil, "BIG-bench tasks not in .cache (run scripts/fetch-bigbench.sh)"))
struct BigBenchRoutingTests {
    @Test func heldOutAccuracyAndCompositePrompts() throws {
        let data = try RoutingDataset.load(paths: [try #require(BigBench.routerData)], maxPerLabel: 2000)
        #expect(data.labels.count >= 10)
        let (train, held) = data.split(heldOut: 0.2, seed: 1)
        let config = RouterTrainingConfig()          // the settings train-router uses
        let router = RouterTrainer.train(train, config: config)
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
}
