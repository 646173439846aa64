// RouterCommands.swift: `dlp-gpu train-router`, `eval-router` and `route`: training the DLP plugin on
// labelled task data (progress bar, per-epoch loss and accuracy, per-task table and confusion matrix),
// evaluating it, and showing the plan it picks for each sentence of a text.
import ArgumentParser
import DLPLoRA
import Foundation

extension PlanWeighting: ExpressibleByArgument {}

struct TrainRouterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-router", abstract: "Train the DLP router (mini-MLP) on labelled task data.")

    @Option(name: .long, parsing: .upToNextOption, help: "Folders of per-task JSON lists of {\"Q\",\"A\"} (class = file name) or JSONL {\"text\",\"label\"} files.")
    var data: [String]

    @Option(name: .long, help: "Where to write the router (safetensors).")
    var out: String

    @Option(name: .long, help: "Part of each class held out for the final evaluation (0 to 0.9).")
    var heldOut: Double = 0.2

    @Option(name: .long, help: "Use at most this many texts per class (at least 1).")
    var maxPerTask: Int = 2000

    @Option(name: .long, help: "Most epochs (early stopping may end sooner).")
    var epochs: Int = 20

    @Option(name: .long, help: "Random seed: the same seed and data give the same file.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Hash buckets of the featurizer (rows of the embedding table; 1 to \(FeaturizerSettings.maximumBuckets)).")
    var buckets: Int = 1 << 16

    @Option(name: .long, help: "Embedding width (1 to \(Router.maximumWidth)).")
    var embedDim: Int = 64

    @Option(name: .long, help: "Hidden layer widths, comma-separated (each 1 to \(Router.maximumWidth)).")
    var hidden: String = "256,256,128"

    @Flag(name: .long, inversion: .prefixedNo, help: "Features of the scalars' classes (Unicode category and block), which recognize emoji, scripts and symbols never seen in training.")
    var scalarClasses = true

    @Option(name: .long, help: "Default top-p of the saved router (in (0, 1]).")
    var topP: Float = 0.6

    @Option(name: .long, help: "softmax (the paper's code) or renormalize.")
    var weighting: PlanWeighting = .softmax

    @Option(name: .long, help: "Most adapters fused per sentence (1 to 64).")
    var maxAdapters: Int = 3

    var trainingConfig: RouterTrainingConfig {
        var config = RouterTrainingConfig()
        config.epochs = epochs
        config.seed = seed
        config.embedDim = embedDim
        config.featurizer.buckets = buckets
        config.featurizer.scalarClasses = scalarClasses
        config.hidden = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
        config.selection = TopPSelection(p: topP, weighting: weighting, maxAdapters: maxAdapters)
        return config
    }

    func validate() throws {
        guard heldOut.isFinite, (0...0.9).contains(heldOut) else { throw ValidationError("--held-out \(heldOut): give 0 to 0.9") }
        guard maxPerTask >= 1 else { throw ValidationError("--max-per-task \(maxPerTask): give at least 1") }
        if let problem = trainingConfig.problem { throw ValidationError(problem) }
    }

    func run() throws {
        let dataset = try RoutingDataset.load(paths: data, maxPerLabel: maxPerTask)
        let (train, held) = dataset.split(heldOut: heldOut, seed: seed)
        let config = trainingConfig
        printError("\(dataset.labels.count) classes, \(train.examples.count) training texts, \(held.examples.count) held out")
        let start = Date()
        let router = try RouterTrainer.train(train, config: config, onStep: { step, steps in
            ProgressBar.show(step, of: steps, label: "training")
        }, onEpoch: { e in
            ProgressBar.clear()
            print(String(format: "epoch %2d  loss %.4f  train acc %.4f  validation acc %.4f  (%.1f s)", e.epoch, e.loss, e.trainAccuracy, e.validationAccuracy, e.seconds))
        })
        try router.save(to: out)
        print(String(format: "trained in %.1f s, %.2fM parameters, saved %@", Date().timeIntervalSince(start), Double(router.parameterCount) / 1e6, out))
        print("held-out evaluation:")
        EvaluationTable.print(try RoutingEvaluation.evaluate(router, on: held))
    }
}

struct EvalRouterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval-router", abstract: "Evaluate a router on labelled task data.")

    @Option(name: .long, help: "The router file.")
    var router: String

    @Option(name: .long, parsing: .upToNextOption, help: "Test data, in the formats train-router reads.")
    var data: [String]

    @Option(name: .long, help: "Use at most this many texts per class (at least 1).")
    var maxPerTask: Int?

    func validate() throws {
        if let maxPerTask, maxPerTask < 1 { throw ValidationError("--max-per-task \(maxPerTask): give at least 1") }
    }

    @Flag(name: .long, help: "Print accuracy and the confusion matrix as JSON.")
    var json = false

    func run() throws {
        let model = try Router.load(path: router)
        let dataset = try RoutingDataset.load(paths: data, maxPerLabel: maxPerTask)
        let evaluation = try RoutingEvaluation.evaluate(model, on: dataset)
        if json {
            try printJSON(["labels": evaluation.labels, "accuracy": evaluation.accuracy, "confusion": evaluation.confusion,
                           "per_task": Dictionary(uniqueKeysWithValues: evaluation.labels.indices.map { (evaluation.labels[$0], evaluation.accuracy(of: $0)) })])
        } else {
            EvaluationTable.print(evaluation)
        }
    }
}

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "Show the adapters the router picks for each sentence of a text.")

    @Option(name: .long, help: "The router file.")
    var router: String

    @Argument(help: "The text to route.")
    var text: String

    @Option(name: .long, help: "Top-p in (0, 1] (default: the router's).")
    var topP: Float?

    func validate() throws {
        if let topP, !(topP.isFinite && topP > 0 && topP <= 1) { throw ValidationError("--top-p \(topP): give a number in (0, 1]") }
    }

    @Option(name: .long, help: "softmax or renormalize (default: the router's).")
    var weighting: PlanWeighting?

    @Option(name: .long, help: "sentence (each sentence its own plan) or prompt (one plan for the text).")
    var granularity: RoutingGranularity = .sentence

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Flag(name: .long, help: "Time routing: route every sentence repeatedly and print microseconds per sentence.")
    var bench = false

    func run() throws {
        let model = try Router.load(path: router)
        if let topP { model.selection.p = topP }
        if let weighting { model.selection.weighting = weighting }
        let sentenceRouter = SentenceRouter(router: model, granularity: granularity)
        if bench {
            let sentences = SentenceSegmenter.split(text).map(\.text)
            guard !sentences.isEmpty else { throw ValidationError("the text has no sentences") }
            var times: [Double] = []
            for _ in 0..<7 {
                let start = Date()
                var routed = 0
                repeat {
                    for s in sentences { _ = sentenceRouter.plan(for: s, previous: nil) }
                    routed += sentences.count
                } while Date().timeIntervalSince(start) < 0.2
                times.append(Date().timeIntervalSince(start) / Double(routed) * 1e6)
            }
            times.sort()
            let chars = sentences.map(\.count).reduce(0, +) / sentences.count
            print(String(format: "%d sentences (%d characters on average): %.1f us per sentence (median of 7; min %.1f, max %.1f)",
                         sentences.count, chars, times[3], times[0], times[6]))
            return
        }
        let routed = sentenceRouter.route(text)
        if json {
            try printJSON(["sentences": routed.map { item -> [String: Any] in
                ["text": item.sentence.text, "utf8_range": [item.sentence.utf8Range.lowerBound, item.sentence.utf8Range.upperBound],
                 "plan": item.plan.slots.map { ["adapter": $0.adapter, "weight": Double($0.weight)] }]
            }])
            return
        }
        for item in routed {
            print("\(item.plan)\t\(item.sentence.text)")
        }
    }
}

/// The per-task accuracy table and confusion matrix.
enum EvaluationTable {
    static func print(_ e: RoutingEvaluation) {
        let width = max(12, e.labels.map(\.count).max() ?? 0)
        Swift.print("task".padding(toLength: width, withPad: " ", startingAt: 0) + "  texts  accuracy")
        for (i, label) in e.labels.enumerated() {
            Swift.print(label.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %5d  %.4f", e.confusion[i].reduce(0, +), e.accuracy(of: i)))
        }
        Swift.print("all".padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %5d  %.4f", e.confusion.joined().reduce(0, +), e.accuracy))
        Swift.print("confusion (rows: truth, columns: predicted, in the order above):")
        for (i, row) in e.confusion.enumerated() {
            Swift.print(String(format: "%3d ", i) + row.map { String(format: "%5d", $0) }.joined())
        }
    }
}

/// A one-line progress bar on stderr.
enum ProgressBar {
    static func show(_ done: Int, of total: Int, label: String) {
        guard total > 0, done == total || done % max(1, total / 50) == 0 else { return }
        let filled = done * 30 / total
        FileHandle.standardError.write(Data("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(done)/\(total)".utf8))
    }

    static func clear() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
