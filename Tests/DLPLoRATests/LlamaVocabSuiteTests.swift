// LlamaVocabSuiteTests.swift: llama.cpp's own tokenizer test suites (models/ggml-vocab-*.gguf with their
// .inp/.out files, from the llama-cpp-python sdist; scripts/fetch-llama-vocab.sh puts them in .cache):
// for every vocabulary of a supported kind our ids equal llama.cpp's for every input (no BOS/EOS added,
// control tokens not parsed, as test-tokenizer-0 runs them).
import Foundation
import Testing
@testable import DLPLoRA

enum LlamaVocabSuite {
    static var folder: String? {
        let path = ProcessInfo.processInfo.environment["DLP_LLAMA_VOCAB"] ?? (Fixtures.repository + "/.cache/llama-vocab")
        return FileManager.default.fileExists(atPath: path + "/ggml-vocab-gpt-2.gguf") ? path : nil
    }

    /// (input text, expected ids) pairs of one vocabulary.
    static func cases(_ name: String) throws -> [(String, [Int32])] {
        let base = (folder ?? "") + "/ggml-vocab-\(name).gguf"
        let raw = try Data(contentsOf: URL(fileURLWithPath: base + ".inp"))
        let inputs = String(decoding: raw, as: UTF8.self).components(separatedBy: "\n__ggml_vocab_test__\n")
        var lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: base + ".out")), as: UTF8.self).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        // a trailing separator leaves one empty input after it
        let usable = inputs.count == lines.count + 1 && inputs.last == "" ? Array(inputs.dropLast()) : inputs
        guard usable.count == lines.count else {
            throw LoadError.malformed(path: base + ".inp", field: "tests", reason: "\(usable.count) inputs, \(lines.count) outputs")
        }
        return zip(usable, lines).map { input, line in
            (input, line.split(separator: " ").compactMap { Int32($0) })
        }
    }
}

@Suite(.enabled(if: LlamaVocabSuite.folder != nil, "llama.cpp vocab suites not in .cache (run scripts/fetch-llama-vocab.sh)"))
struct LlamaVocabSuiteTests {
    static let vocabularies = ["gpt-2", "llama-bpe", "llama-spm", "qwen2", "starcoder", "phi-3", "deepseek-llm", "command-r",
                               "deepseek-coder", "falcon", "mpt", "refact", "qwen35"]

    @Test(arguments: vocabularies)
    func idsEqualLlamaCpp(vocabulary: String) throws {
        let folder = try #require(LlamaVocabSuite.folder)
        let tokenizer = try TokenizerLoader.load(path: folder + "/ggml-vocab-\(vocabulary).gguf")
        var failures = 0
        for (text, expected) in try LlamaVocabSuite.cases(vocabulary) {
            let ids = try tokenizer.encode(text, addSpecialTokens: false, parseSpecial: false)
            if ids != expected {
                failures += 1
                if failures <= 3 { Issue.record("\(vocabulary): \(text.debugDescription) -> \(ids), llama.cpp \(expected)") }
            }
        }
        #expect(failures == 0, "\(vocabulary): \(failures) inputs differ")
    }
}
