// EvalTests.swift: BIG-bench tasks load with the held-out split the adapter training script uses, and the
// evaluator's per-option log-likelihood (context once, options from its cache) equals scoring each full
// sequence from scratch.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct EvalTaskTests {
    @Test func loadsPromptsOptionsAndTheSplit() throws {
        let dir = try Fixtures.temporaryDirectory() + "/toy"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let examples = (0..<40).map { ["input": "Question \($0)?", "target_scores": ["yes": $0 % 2, "no": 1 - $0 % 2]] as [String: Any] }
            + [["input": "Say hi", "target": ["hi", "hello"]]]
        try JSONSerialization.data(withJSONObject: ["examples": examples, "example_input_prefix": "\nQ: ", "example_output_prefix": "\nA: "])
            .write(to: URL(fileURLWithPath: dir + "/task.json"))
        let all = try EvalTask.load(path: dir, heldOutOnly: false)
        #expect(all.name == "toy" && all.examples.count == 41)
        #expect(all.examples[0].prompt == "Q: Question 0?\nA: ")
        #expect(all.examples[0].options == ["no", "yes"] && all.examples[0].answer == 0)
        #expect(all.examples[1].answer == 1)
        #expect(all.examples[40].references == ["hi", "hello"] && !all.examples[40].isMultipleChoice)
        let held = try EvalTask.load(path: dir)
        #expect(held.examples.allSatisfy { EvalTask.fnv1a32($0.input) % 5 == 0 })
        #expect(EvalTask.fnv1a32("hello") == 0x4F9F_2CAB)              // FNV-1a-32 test vector
        #expect(EvalTask.contextAndContinuation("A: ", "yes") == ("A:", " yes"))
    }

    @Test(.enabled(if: BigBench.routerData != nil, "BIG-bench tasks not in .cache (run scripts/fetch-bigbench.sh)"))
    func bigBenchSplitMatchesTheTrainingScript() throws {
        let data = try #require(BigBench.routerData)
        // held-out counts under the rule of scripts/demo_tasks.py (held_out), computed there for each task
        let expected = ["sports_understanding": 196, "navigate": 205, "date_understanding": 70, "intent_recognition": 144,
                        "reasoning_about_colored_objects": 405, "social_support": 176]
        for (task, count) in expected {
            let path = URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("tasks/\(task)").path
            #expect(try EvalTask.load(path: path).examples.count == count, "\(task)")
        }
    }
}

@Suite(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
struct EvaluatorTests {
    /// The evaluator's cached scoring against full sequences, on the dequantized model: with weights kept
    /// quantized, rows scored in a prefill and rows scored one by one round their activations to 8 bits
    /// after different (equally valid) float summation orders, which can move a score by ~1e-3.
    @Test func optionScoresFromTheCacheEqualFullSequences() throws {
        let loaded = try LoadedModel(path: try #require(Fixtures.smollm2), backend: Fixtures.cpu, dequantize: true)
        let tokenizer = try #require(loaded.tokenizer)
        let evaluator = try Evaluator(loaded: loaded)
        let prompt = "Statement: Jamal Murray was perfect from the line\nPlausible/implausible? "
        let options = ["plausible", "implausible"]
        let fromCache = try evaluator.optionLogLikelihoods(prompt: prompt, options: options, setting: EvalSetting(label: "base"))
        for (i, option) in options.enumerated() {
            let context = try tokenizer.encode(String(prompt.dropLast()))
            let continuation = try tokenizer.encode(" " + option, addSpecialTokens: false)
            let full = try loaded.logProbabilities(ids: context + continuation)
            let expected = full.suffix(continuation.count).reduce(0, +)
            #expect(abs(fromCache[i] - expected) < 1e-4, "\(option): \(fromCache[i]) vs \(expected)")
        }
    }
}
