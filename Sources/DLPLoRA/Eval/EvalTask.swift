// EvalTask.swift: a BIG-bench task (task.json) as the evaluator sees it: each example's prompt (input
// prefix + input + output prefix), its options and the correct one (multiple choice, from target_scores)
// or its reference texts (generative, from target), and the held-out split shared with the adapter
// training script (an example is held out when FNV-1a-32 of its input is 0 mod 5).
import Foundation

/// One example of a task.
public struct EvalExample: Sendable {
    public let input: String
    public let prompt: String
    /// Multiple choice: the options and the index of the correct one.
    public let options: [String]
    public let answer: Int
    /// Generative: the reference texts.
    public let references: [String]

    public var isMultipleChoice: Bool { !options.isEmpty }
}

/// A task's held-out examples.
public struct EvalTask: Sendable {
    public let name: String
    public let examples: [EvalExample]

    /// Reads `path` (a task folder holding task.json, or the task.json itself); keeps the held-out split
    /// (or every example with `heldOutOnly: false`), at most `limit` examples.
    public static func load(path: String, heldOutOnly: Bool = true, limit: Int? = nil) throws -> EvalTask {
        var file = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("task.json")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch { throw LoadError.cannotOpen(path: file, reason: error.localizedDescription) }
        guard let task = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let raw = task["examples"] as? [[String: Any]] else {
            throw LoadError.malformed(path: file, field: "examples", reason: "expected a BIG-bench task.json with an examples list")
        }
        var prefix = task["example_input_prefix"] as? String ?? ""
        while prefix.hasPrefix("\n") { prefix.removeFirst() }
        var suffix = task["example_output_prefix"] as? String ?? ""
        if suffix.isEmpty { suffix = "\nAnswer: " }
        var examples: [EvalExample] = []
        for (i, ex) in raw.enumerated() {
            guard let input = ex["input"] as? String else { throw LoadError.malformed(path: file, field: "examples[\(i)].input", reason: "missing") }
            if heldOutOnly, fnv1a32(input) % 5 != 0 { continue }
            if let scores = ex["target_scores"] as? [String: Any], !scores.isEmpty {
                // options in file order (JSONSerialization loses it: sort for determinism)
                let options = scores.keys.sorted()
                let best = options.indices.max { (scores[options[$0]] as? Double ?? 0) < (scores[options[$1]] as? Double ?? 0) } ?? 0
                examples.append(EvalExample(input: input, prompt: prefix + input + suffix, options: options, answer: best, references: []))
            } else if let target = ex["target"] {
                let references = (target as? [String]) ?? [(target as? String) ?? ""]
                examples.append(EvalExample(input: input, prompt: prefix + input + suffix, options: [], answer: 0, references: references))
            }
        }
        guard !examples.isEmpty else { throw LoadError.malformed(path: file, field: "examples", reason: "no usable examples") }
        let name = URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent
        return EvalTask(name: name, examples: Array(examples.prefix(limit ?? examples.count)))
    }

    static func fnv1a32(_ text: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in text.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    /// lm-evaluation-harness style: a trailing space of the context moves to the continuation.
    static func contextAndContinuation(_ prompt: String, _ option: String) -> (String, String) {
        prompt.hasSuffix(" ") ? (String(prompt.dropLast()), " " + option) : (prompt, option)
    }
}
