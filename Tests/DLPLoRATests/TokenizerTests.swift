// TokenizerTests.swift: the byte-level BPE tokenizer from SmolLM2's GGUF gives Hugging Face's ids
// (reference.json holds the ids transformers produced), decodes back to the text, and streams text
// without ever splitting a UTF-8 character.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct TokenizerTests {
    @Test func utf8PrefixLengthHoldsIncompleteCharacters() {
        let emoji = Array("a😀".utf8)                 // 61 F0 9F 98 80
        #expect(StreamingDetokenizer.completePrefixLength(Array(emoji[0..<1])) == 1)
        #expect(StreamingDetokenizer.completePrefixLength(Array(emoji[0..<3])) == 1)
        #expect(StreamingDetokenizer.completePrefixLength(emoji) == 5)
        #expect(StreamingDetokenizer.completePrefixLength(Array("é".utf8).prefix(1).map { $0 }) == 0)
    }

    @Test(arguments: ["bytelevel", "llama3", "metaspace", "spm"])
    func longWordsEncodeInNearLinearTime(name: String) throws {
        // a 200,000-letter word: quadratic merging took minutes; the heap takes well under a second
        let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/\(name).json"))
        let word = String(repeating: "ab", count: 100_000)
        var ids: [Int32] = []
        let elapsed = try ContinuousClock().measure { ids = try tokenizer.encode(word, addSpecialTokens: false) }
        #expect(tokenizer.decode(ids).trimmingCharacters(in: .whitespaces) == word)
        #expect(elapsed < .seconds(5), "\(name): \(elapsed) for one long word")
    }

    @Test func gpt2PreTokenizerSplitsLikeTheRegex() throws {
        let plain = PreTokenizer.gpt2
        // expectations from Python's `regex` module on the GPT-2 pattern
        #expect(try plain.split("Hello world's  2024 !!\n\nok") == ["Hello", " world", "'s", " ", " 2024", " !!", "\n", "\n", "ok"])
        #expect(try plain.split("a  \n\n  b") == ["a", "  \n\n ", " b"])
        #expect(try plain.split("  a") == [" ", " a"])
        #expect(try plain.split("x\n y") == ["x", "\n", " y"])
        let digits = PreTokenizer.sequence([.digits(individual: true), .split(PreTokenizer.gpt2)])
        #expect(try digits.apply(["in 2018."]) == ["in", " ", "2", "0", "1", "8", "."])
    }

    @Test func catastrophicallyBacktrackingPatternsAreErrorsNotHangs() throws {
        // a tokenizer.json whose Split regex backtracks exponentially on a run of letters without a match
        let dir = try Fixtures.temporaryDirectory()
        let json = #"{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(a+)+$"},"behavior":"Isolated"},"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[]}}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        let tokenizer = try TokenizerLoader.load(path: dir + "/tokenizer.json")
        #expect(try tokenizer.encode("aaab") == [0, 0, 0, 1])
        let started = ContinuousClock.now
        #expect(throws: TokenizerError.self) { _ = try tokenizer.encode(String(repeating: "a", count: 40) + "b") }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}

@Suite(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
struct SmolLM2TokenizerTests {
    @Test func idsEqualHuggingFaceAndDecodeRoundTrips() throws {
        let tokenizer = try TokenizerLoader.load(path: try #require(Fixtures.smollm2))
        #expect(tokenizer.kind == "gguf:gpt2 (smollm)")
        #expect(tokenizer.controlIDs.contains(1))
        for item in try SmolLM2Reference.load().cases {
            #expect(try tokenizer.encode(item.prompt) == item.prompt_ids, "'\(item.prompt)'")
            #expect(tokenizer.decode(item.greedy_ids) == item.greedy_text)
        }
        let text = "Grüße, 世界! 😀 <|im_start|>user\n12.5% of    tabs\t\there"
        let ids = try tokenizer.encode(text)
        #expect(ids.contains(1))                     // <|im_start|> is one special token
        #expect(tokenizer.decode(ids) == text)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var pieces: [String] = []
        for id in ids { pieces.append(stream.append(id)) }
        pieces.append(stream.flush())
        #expect(pieces.joined() == text)
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
    }

    @Test func generatesParisWithTextAndStopsOnEOS() throws {
        let loaded = try LoadedModel(path: try #require(Fixtures.smollm2), backend: Fixtures.cpu)
        let tokenizer = try #require(loaded.tokenizer)
        let generator = Generator(model: loaded.model, tokenizer: tokenizer, contextLength: 64)
        var streamed = ""
        let result = try generator.generate([GenerationRequest(
            promptIDs: try tokenizer.encode("The capital of France is"), maxTokens: 16,
            stopTokenIDs: loaded.eosTokenIDs, stopStrings: ["\n\n"])]) { _, text in streamed += text }
        #expect(result[0].text == " Paris.")
        #expect(streamed == " Paris.")
        #expect(result[0].finishReason == .stopString)
    }
}
