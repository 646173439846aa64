// EvalCommand.swift: `dlp-gpu eval`: the paper-style table (task x mode) over BIG-bench tasks: base model,
// the task's own adapter (single, the oracle), the router (dlp), and composite inputs that join sentences
// of two tasks (base, each adapter alone, dlp). Progress bar while it runs; --json for machines.
import ArgumentParser
import DLPLoRA
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate base, single-adapter and DLP-routed models on BIG-bench tasks.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, parsing: .upToNextOption, help: "BIG-bench task folders (each with a task.json); the held-out split is used.")
    var data: [String]

    @Option(name: .long, help: "Modes, comma-separated: base, single, dlp, composite.")
    var mode: String = "base,single,dlp"

    @Option(name: .long, help: "At most this many held-out examples per task (at least 1).")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit \(limit): give at least 1") }
    }

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let modes = mode.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for m in modes where !["base", "single", "dlp", "composite"].contains(m) { throw ValidationError("unknown mode '\(m)'") }
        let tasks = try data.map { try EvalTask.load(path: $0, limit: limit) }
        let (loaded, _, router) = try options.load(needsPlan: false)
        let evaluator = try Evaluator(loaded: loaded)
        let adapterNames = loaded.adapters.names
        if modes.contains("single") || modes.contains("composite"), adapterNames.isEmpty { throw ValidationError("single and composite modes need --adapters") }
        if (modes.contains("dlp") || modes.contains("composite")), router == nil { throw ValidationError("dlp and composite modes need --router") }
        // the columns
        var columns: [(label: String, composite: Bool, setting: (EvalTask) throws -> EvalSetting)] = []
        if modes.contains("base") { columns.append(("base", false, { _ in EvalSetting(label: "base") })) }
        if modes.contains("single") {
            columns.append(("single", false, { task in
                guard adapterNames.contains(task.name) else { throw AdapterError.unknownAdapter(task.name, loaded: adapterNames) }
                return EvalSetting(label: "single", plan: FusionPlan([.init(adapter: task.name, weight: 1)]))
            }))
        }
        if modes.contains("dlp"), let router { columns.append(("dlp", false, { _ in EvalSetting(label: "dlp", router: router) })) }
        if modes.contains("composite"), let router {
            columns.append(("composite base", true, { _ in EvalSetting(label: "composite base") }))
            for name in adapterNames {
                columns.append(("composite \(name)", true, { _ in EvalSetting(label: "composite \(name)", plan: FusionPlan([.init(adapter: name, weight: 1)])) }))
            }
            columns.append(("composite dlp", true, { _ in EvalSetting(label: "composite dlp", router: router) }))
        }
        let total = tasks.reduce(0) { $0 + $1.examples.count } * columns.count
        var done = 0
        var scores: [EvalScore] = []
        for (t, task) in tasks.enumerated() {
            for column in columns {
                let prompts = column.composite ? Evaluator.compositePrompts(tasks, index: t) : nil
                scores.append(try evaluator.score(task, setting: try column.setting(task), prompts: prompts) {
                    done += 1
                    ProgressBar.show(done, of: total, label: "evaluating")
                })
            }
        }
        ProgressBar.clear()
        if json {
            try printJSON(["tasks": tasks.map(\.name), "columns": columns.map(\.label), "scores": scores.map { s -> [String: Any] in
                var o: [String: Any] = ["task": s.task, "setting": s.setting, "score": s.primary, "examples": s.examples]
                if let b = s.bleu { o["bleu"] = b }
                if let r = s.rouge1 { o["rouge1"] = r; o["rougeL"] = s.primary }
                return o
            }])
            return
        }
        let width = max(20, tasks.map(\.name.count).max() ?? 0) + 2
        print("task".padding(toLength: width, withPad: " ", startingAt: 0) + columns.map { $0.label.padding(toLength: max(10, $0.label.count), withPad: " ", startingAt: 0) }.joined(separator: " "))
        for task in tasks {
            let row = columns.map { c -> String in
                let s = scores.first { $0.task == task.name && $0.setting == c.label }
                let text = s.map { $0.bleu == nil ? String(format: "%.3f", $0.primary) : String(format: "RL %.3f", $0.primary) } ?? "-"
                return text.padding(toLength: max(10, c.label.count), withPad: " ", startingAt: 0)
            }
            print(task.name.padding(toLength: width, withPad: " ", startingAt: 0) + row.joined(separator: " "))
        }
        let averages = columns.map { c -> String in
            let values = scores.filter { $0.setting == c.label }.map(\.primary)
            return String(format: "%.3f", values.reduce(0, +) / Double(max(values.count, 1))).padding(toLength: max(10, c.label.count), withPad: " ", startingAt: 0)
        }
        print("average".padding(toLength: width, withPad: " ", startingAt: 0) + averages.joined(separator: " "))
        print("(multiple choice: accuracy by per-option log-likelihood; generative: RL = ROUGE-L F, BLEU and ROUGE-1 in --json)")
    }
}
