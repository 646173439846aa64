// CanonicalEquivalenceTests.swift: text that is canonically equivalent but not identical (precomposed vs
// decomposed letters, Hangul syllables vs jamo, reordered combining marks, a combining mark after a space
// or at the start of text) is tokenized as Hugging Face `tokenizers` tokenizes it, for tokenizer.json BPE
// (with and without byte fallback, byte-level, Metaspace) and for llama.cpp's GGUF vocabularies (SPM and
// BPE), with goldens from scripts/make_canonical_goldens.py. Swift's String equality would merge these.
import Foundation
import Testing
@testable import DLPLoRA

struct CanonicalGolden: Decodable {
    let strings: [String]
    let tokenizer_json: [String: [[Int32]]]
    let gguf: [String: [[Int32]]]

    static func load() throws -> CanonicalGolden {
        try JSONDecoder().decode(CanonicalGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/canonical.json"))))
    }
}

@Suite struct CanonicalEquivalenceTests {
    /// Runs every golden string, in order and in reverse (so caches see both forms first).
    func check(_ tokenizer: Tokenizer, _ strings: [String], _ expected: [[Int32]], _ name: String) throws {
        #expect(strings.count == expected.count)
        for order in [Array(strings.indices), Array(strings.indices.reversed())] {
            var failures = 0
            for i in order {
                let ids = try tokenizer.encode(strings[i], addSpecialTokens: false)
                if ids != expected[i] {
                    failures += 1
                    if failures <= 3 { Issue.record("\(name): \(Array(strings[i].unicodeScalars)) -> \(ids), tokenizers \(expected[i])") }
                }
            }
            #expect(failures == 0, "\(name): \(failures) strings differ")
        }
    }

    @Test(arguments: ["canonical-spm", "bytelevel", "llama3", "metaspace", "spm"])
    func tokenizerJSONKeepsEquivalentFormsApart(name: String) throws {
        let golden = try CanonicalGolden.load()
        let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/\(name).json"))
        try check(tokenizer, golden.strings, try #require(golden.tokenizer_json[name]), name)
    }

    @Test(.enabled(if: LlamaVocabSuite.folder != nil, "llama.cpp vocab suites not in .cache"),
          arguments: ["llama-spm", "gpt-2"])
    func ggufVocabulariesKeepEquivalentFormsApart(name: String) throws {
        let golden = try CanonicalGolden.load()
        let tokenizer = try TokenizerLoader.load(path: try #require(LlamaVocabSuite.folder) + "/ggml-vocab-\(name).gguf")
        try check(tokenizer, golden.strings, try #require(golden.gguf[name]), name)
    }

    @Test func bothFormsAreDistinctTokensOfTheTrainedVocabulary() throws {
        // the fixture's vocabulary holds both spellings; a String-keyed table would keep only one
        let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/canonical-spm.json"))
        let precomposed = try tokenizer.encode("caf\u{E9}", addSpecialTokens: false)
        let decomposed = try tokenizer.encode("cafe\u{301}", addSpecialTokens: false)
        #expect(precomposed != decomposed)
        #expect(tokenizer.decode(precomposed).unicodeScalars.elementsEqual("caf\u{E9}".unicodeScalars))
        #expect(tokenizer.decode(decomposed).unicodeScalars.elementsEqual("cafe\u{301}".unicodeScalars))
    }

    @Test func exactTextKeysByScalars() {
        #expect(ExactText("\u{E9}") != ExactText("e\u{301}"))
        #expect(Set([ExactText("\u{E9}"), ExactText("e\u{301}"), ExactText("\u{E9}")]).count == 2)
        #expect(" \u{301}x".replacingScalars(" ", with: "\u{2581}").unicodeScalars.elementsEqual("\u{2581}\u{301}x".unicodeScalars))
        #expect("xe\u{301}y".replacingScalars("\u{E9}", with: "Z") == "xe\u{301}y")
        #expect(" \u{301}".hasScalarPrefix(" "))
        #expect(!"e\u{301}".hasScalarPrefix("\u{E9}"))
    }
}
