// TokenizeCommand.swift: `dlp-gpu tokenize`: text to ids (and tokens), ids back to text, and a
// throughput measurement of encoding a file.
import ArgumentParser
import DLPLoRA
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Turn text into token ids, or ids into text.")

    @Option(name: .long, help: "A tokenizer.json, a model folder holding one, or a .gguf file.")
    var tokenizer: String

    @Argument(help: "The text to encode.")
    var text: String?

    @Option(name: .long, help: "Encode this file's contents (UTF-8) instead of TEXT.")
    var file: String?

    @Option(name: .long, help: "Decode these ids, e.g. 1,2,3, instead of encoding.")
    var decode: String?

    @Flag(name: .long, help: "Print {\"ids\": [...], \"tokens\": [...]} (or {\"text\": ...} with --decode).")
    var json = false

    @Flag(name: .long, help: "Do not add the tokenizer's BOS/EOS tokens.")
    var noSpecialTokens = false

    @Flag(name: .long, help: "Encode the input repeatedly for about 2 s and print MB/s instead of ids.")
    var bench = false

    func validate() throws {
        guard [text != nil, file != nil, decode != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of TEXT, --file and --decode")
        }
    }

    func run() throws {
        let tok = try TokenizerLoader.load(path: tokenizer)
        if let decode {
            let text = tok.decode(try parseIDs(decode))
            if json { try printJSON(["text": text]) } else { print(text) }
            return
        }
        let bytes: [UInt8]
        if let file {
            do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
        } else {
            bytes = Array((text ?? "").utf8)
        }
        if bench {
            let start = Date()
            var rounds = 0, tokens = 0
            repeat {
                tokens = try tok.encode(utf8: bytes, addSpecialTokens: !noSpecialTokens).count
                rounds += 1
            } while Date().timeIntervalSince(start) < 2
            let seconds = Date().timeIntervalSince(start)
            let mbPerSecond = Double(bytes.count * rounds) / seconds / 1e6
            if json {
                try printJSON(["bytes": bytes.count, "tokens": tokens, "rounds": rounds, "seconds": seconds, "mb_per_second": mbPerSecond])
            } else {
                print(String(format: "%d bytes -> %d tokens, %d rounds in %.2f s: %.2f MB/s", bytes.count, tokens, rounds, seconds, mbPerSecond))
            }
            return
        }
        let ids = try tok.encode(utf8: bytes, addSpecialTokens: !noSpecialTokens)
        if json {
            try printJSON(["ids": ids.map(Int.init), "tokens": ids.map { tok.tokens.indices.contains(Int($0)) ? tok.tokens[Int($0)] : "" }])
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
