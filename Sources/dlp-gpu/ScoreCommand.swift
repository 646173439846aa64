// ScoreCommand.swift: `dlp-gpu score`: log-probabilities of a token sequence under the model;
// logprobs[i-1] = log p(ids[i] | ids[0..<i]).
import ArgumentParser
import DLPLoRA
import Foundation

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "score", abstract: "Log-probabilities of each token given the ones before it.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Text to score (needs a tokenizer; BOS is added when the tokenizer asks for it).")
    var text: String?

    @Option(name: .long, help: "Token ids to score, e.g. 1,2,3.")
    var ids: String?

    @Flag(name: .long, help: "Print {\"ids\": [...], \"logprobs\": [...]}.")
    var json = false

    func validate() throws {
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text and --ids") }
    }

    func run() throws {
        let (loaded, plan, router) = try options.load()
        let tokenIDs: [Int32]
        if let text {
            guard let tokenizer = loaded.tokenizer else { throw ValidationError("\(options.model ?? "the model") has no tokenizer; use --ids") }
            tokenIDs = try tokenizer.encode(text)
        } else {
            tokenIDs = try parseIDs(ids ?? "")
        }
        guard tokenIDs.count <= options.context else {
            throw ValidationError("\(tokenIDs.count) tokens exceed --context \(options.context)")
        }
        let logprobs = try loaded.logProbabilities(ids: tokenIDs, plan: plan, router: router)
        if json {
            try printJSON(["ids": tokenIDs.map(Int.init), "logprobs": logprobs])
            return
        }
        for (i, id) in tokenIDs.enumerated() {
            let piece = loaded.tokenizer.map { $0.decode([id]).debugDescription } ?? ""
            print(i == 0 ? "\(id)\t\(piece)\t-" : String(format: "%d\t%@\t%.4f", id, piece, logprobs[i - 1]))
        }
        print(String(format: "total log-probability %.4f over %d tokens", logprobs.reduce(0, +), logprobs.count))
    }
}
