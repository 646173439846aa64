// Evaluator.swift: the paper's evaluation. Multiple-choice tasks are scored by per-option log-likelihood
// (the lm-evaluation-harness way: the context runs once, each option's tokens are scored from its cache);
// generative tasks by greedy generation scored with BLEU, ROUGE-1 and ROUGE-L. Each setting runs the
// base model, a fixed adapter plan, or the router (per sentence of the context; the answer tokens keep
// the plan of the last sentence).
import Foundation

/// How adapters are applied in one column of the evaluation table.
public struct EvalSetting: Sendable {
    public let label: String
    public let plan: FusionPlan?
    public let router: SentenceRouter?

    public init(label: String, plan: FusionPlan? = nil, router: SentenceRouter? = nil) {
        self.label = label
        self.plan = plan
        self.router = router
    }
}

/// Scores of one task under one setting.
public struct EvalScore: Sendable {
    public let task: String
    public let setting: String
    /// Multiple choice: accuracy in [0, 1]. Generative: ROUGE-L F in [0, 1].
    public let primary: Double
    /// Generative only (nil for multiple choice): BLEU (0-100), ROUGE-1 F.
    public let bleu: Double?
    public let rouge1: Double?
    public let examples: Int
}

public final class Evaluator {
    public let loaded: LoadedModel
    let tokenizer: Tokenizer

    public init(loaded: LoadedModel) throws {
        guard let tokenizer = loaded.tokenizer else { throw GenerationError.invalidParameter("evaluation needs a model with a tokenizer") }
        self.loaded = loaded
        self.tokenizer = tokenizer
    }

    /// log p(option | prompt) for each option, the context computed once.
    public func optionLogLikelihoods(prompt: String, options: [String], setting: EvalSetting) throws -> [Double] {
        let trailing = prompt.hasSuffix(" ")
        let context = try tokenizer.encode(trailing ? String(prompt.dropLast()) : prompt, addSpecialTokens: true)
        let continuations = try options.map { try tokenizer.encode((trailing ? " " : "") + $0, addSpecialTokens: false) }
        guard !context.isEmpty, continuations.allSatisfy({ !$0.isEmpty }) else { return options.map { _ in -.infinity } }
        let model = loaded.model
        // every id is checked before it indexes a logit row (the prompt's go through forward's own check)
        for ids in continuations {
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= model.config.vocabSize }) {
                throw InferenceError.tokenOutOfRange(id: Int(bad), vocabularySize: model.config.vocabSize)
            }
        }
        let plans = try SequencePlans(request: GenerationRequest(promptIDs: context, plan: setting.plan, router: setting.router), tokenizer: tokenizer) { _, _ in }
        let n = context.count
        let cache = try model.makeCache(slots: 1, capacity: n + (continuations.map(\.count).max() ?? 1))
        let first = try model.forward(tokens: context, slots: Array(repeating: 0, count: n), positions: (0..<n).map(Int32.init),
                                      logitRows: [n - 1], cache: cache,
                                      adapters: try SequencePlans.selection([plans], rows: plans.promptRows.map { (0, $0) }, bank: loaded.adapters, fused: true))
        return try continuations.map { ids in
            var total = LoadedModel.logSoftmax(first[...], at: Int(ids[0]))
            guard ids.count > 1 else { return total }
            let rows = ids.count - 1
            let logits = try model.forward(tokens: Array(ids.dropLast()), slots: Array(repeating: 0, count: rows),
                                           positions: (0..<rows).map { Int32(n + $0) }, logitRows: Array(0..<rows), cache: cache,
                                           adapters: try SequencePlans.selection([plans], rows: Array(repeating: (0, plans.current), count: rows),
                                                                                 bank: loaded.adapters, fused: true))
            let vocab = model.config.vocabSize
            for j in 0..<rows { total += LoadedModel.logSoftmax(logits[(j * vocab)..<((j + 1) * vocab)], at: Int(ids[j + 1])) }
            return total
        }
    }

    /// Greedy answer to `prompt`, up to the end of the line.
    public func answer(prompt: String, setting: EvalSetting, maxTokens: Int = 32) throws -> String {
        let ids = try tokenizer.encode(prompt)
        let generator = Generator(model: loaded.model, tokenizer: tokenizer, contextLength: ids.count + maxTokens + 1, adapters: loaded.adapters)
        let result = try generator.generate([GenerationRequest(promptIDs: ids, maxTokens: maxTokens, stopTokenIDs: loaded.eosTokenIDs,
                                                               stopStrings: ["\n"], plan: setting.plan, router: setting.router)])
        return result[0].text.trimmingCharacters(in: .whitespaces)
    }

    /// Scores `task` under `setting`; `prompts` replaces each example's prompt (composite inputs).
    public func score(_ task: EvalTask, setting: EvalSetting, prompts: [String]? = nil, onExample: () -> Void = {}) throws -> EvalScore {
        var correct = 0
        var hypotheses: [String] = [], references: [[String]] = []
        var rouge1 = 0.0, rougeL = 0.0
        for (i, example) in task.examples.enumerated() {
            let prompt = prompts?[i] ?? example.prompt
            if example.isMultipleChoice {
                let scores = try optionLogLikelihoods(prompt: prompt, options: example.options, setting: setting)
                if scores.indices.max(by: { scores[$0] < scores[$1] }) == example.answer { correct += 1 }
            } else {
                let prediction = try answer(prompt: prompt, setting: setting)
                hypotheses.append(prediction)
                references.append(example.references)
                rouge1 += TextMetrics.best(example.references) { TextMetrics.rouge1(target: $0, prediction: prediction) }
                rougeL += TextMetrics.best(example.references) { TextMetrics.rougeL(target: $0, prediction: prediction) }
            }
            onExample()
        }
        let n = Double(task.examples.count)
        if hypotheses.isEmpty {
            return EvalScore(task: task.name, setting: setting.label, primary: Double(correct) / n, bleu: nil, rouge1: nil, examples: task.examples.count)
        }
        return EvalScore(task: task.name, setting: setting.label, primary: rougeL / n,
                         bleu: TextMetrics.bleu(hypotheses: hypotheses, references: references), rouge1: rouge1 / n, examples: task.examples.count)
    }

    /// Composite prompts for `tasks[index]`: each example's prompt preceded by the input of an example of
    /// the next task (so every prompt joins sentences of two tasks).
    public static func compositePrompts(_ tasks: [EvalTask], index: Int) -> [String] {
        let other = tasks[(index + 1) % tasks.count]
        return tasks[index].examples.enumerated().map { i, e in
            other.examples[i % other.examples.count].input + "\n" + e.prompt
        }
    }
}
