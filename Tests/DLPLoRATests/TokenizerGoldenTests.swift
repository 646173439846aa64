// TokenizerGoldenTests.swift: three tokenizer.json files trained with Hugging Face `tokenizers`
// (ByteLevel BPE, Llama-3-style Split + ByteLevel, NFKC/Lowercase + Digits + Metaspace, Llama-2-style BPE
// with byte fallback;
// scripts/make_tokenizer_goldens.py) give the library's ids and decoded text on 200+ strings (CJK,
// Arabic, combining marks, ZWJ emoji, whitespace runs, digits, code, special tokens inside text); streamed
// text equals decoded text; broken tokenizer files and invalid UTF-8 are clear errors.
import Foundation
import Testing
@testable import DLPLoRA

struct TokenizerGolden: Decodable {
    struct Expected: Decodable { let ids: [[Int32]]; let decoded: [String] }
    let strings: [String]
    let bytelevel: Expected
    let llama3: Expected
    let metaspace: Expected
    let spm: Expected

    static func load() throws -> TokenizerGolden {
        try JSONDecoder().decode(TokenizerGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/golden.json"))))
    }
}

@Suite struct TokenizerGoldenTests {
    @Test(arguments: ["bytelevel", "llama3", "metaspace", "spm"])
    func idsAndDecodedTextEqualTokenizersLibrary(name: String) throws {
        let golden = try TokenizerGolden.load()
        let expected = ["bytelevel": golden.bytelevel, "llama3": golden.llama3, "metaspace": golden.metaspace, "spm": golden.spm][name]!
        let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/\(name).json"))
        #expect(golden.strings.count >= 200)
        var failures = 0
        for (i, text) in golden.strings.enumerated() {
            let ids = try tokenizer.encode(text)
            let decoded = tokenizer.decode(ids)
            if ids != expected.ids[i] || decoded != expected.decoded[i] {
                failures += 1
                if failures <= 3 { Issue.record("\(name): \(text.debugDescription) -> \(ids) \(decoded.debugDescription), tokenizers: \(expected.ids[i]) \(expected.decoded[i].debugDescription)") }
            }
            // streaming the ids after the BOS gives the decoded text of those ids
            let body = Array(ids.drop { $0 == tokenizer.bosTokenID || $0 == 0 })
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            let streamed = body.map { stream.append($0) }.joined() + stream.flush()
            if streamed != tokenizer.decode(body) { Issue.record("\(name): streamed \(streamed.debugDescription) != decoded \(tokenizer.decode(body).debugDescription)") }
        }
        #expect(failures == 0, "\(name): \(failures) of \(golden.strings.count) strings differ")
    }

    @Test func brokenTokenizerFilesAreClearErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        try Data("{\"model\": ".utf8).write(to: URL(fileURLWithPath: dir + "/truncated.json"))
        expectLoadError({ _ = try TokenizerLoader.load(path: dir + "/truncated.json") }, mentions: [dir + "/truncated.json", "JSON"])
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/bytelevel.json")))) as! [String: Any]
        var model = json["model"] as! [String: Any]
        model["merges"] = ["Ġ zzzunknown"] + (model["merges"] as! [Any])
        json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/merges.json"))
        expectLoadError({ _ = try TokenizerLoader.load(path: dir + "/merges.json") }, mentions: ["merges[0]", "zzzunknown", "not in the vocabulary"])
        model["type"] = "WordPiece"
        json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/wordpiece.json"))
        expectLoadError({ _ = try TokenizerLoader.load(path: dir + "/wordpiece.json") }, mentions: ["model.type", "WordPiece", "BPE"])
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/bytelevel.json")))) as! [String: Any]
        json["pre_tokenizer"] = ["type": "BertPreTokenizer"]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/bert.json"))
        expectLoadError({ _ = try TokenizerLoader.load(path: dir + "/bert.json") }, mentions: ["pre_tokenizer.type", "BertPreTokenizer", "supported"])
    }

    @Test func invalidUTF8InputIsAnError() throws {
        let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/bytelevel.json"))
        #expect(throws: TokenizerError.invalidUTF8("input byte 2")) { try tokenizer.encode(utf8: [0x68, 0x69, 0xFF, 0x21]) }
        #expect(try tokenizer.encode(utf8: Array("hi!".utf8)) == (try tokenizer.encode("hi!")))
    }
}
