// Tokenizer.swift: text <-> token ids for byte-level BPE vocabularies (GPT-2, SmolLM, Llama-3 style), read
// from a GGUF file's tokenizer.ggml.* metadata or a tokenizer.json. Special tokens are split out of the
// text first, then words are pre-tokenized, mapped to the byte-level alphabet, and BPE-encoded.
import Foundation

/// A tokenizer for one model.
public final class Tokenizer: @unchecked Sendable {
    /// "gguf:gpt2 (smollm)" or "tokenizer.json:BPE", for `inspect`.
    public let kind: String
    /// id -> token string (in the byte-level alphabet for normal tokens).
    public let tokens: [String]
    /// Tokens matched verbatim in text before BPE (control and user-defined tokens), longest first.
    let specialTokens: [(text: String, id: Int32)]
    let specialIDs: Set<Int32>
    let bpe: BytePairEncoding
    let preTokenizer: GPT2PreTokenizer
    /// Prepended by `encode(addSpecialTokens: true)` when set.
    public let bosTokenID: Int32?
    public let addBOS: Bool
    /// The model's chat template (Jinja source), when the file carries one.
    public let chatTemplate: String?

    init(kind: String, tokens: [String], specialIDs: Set<Int32>, merges: [(String, String)], individualDigits: Bool,
         bosTokenID: Int32?, addBOS: Bool, chatTemplate: String?, source: String) throws {
        self.kind = kind
        self.tokens = tokens
        self.specialIDs = specialIDs
        specialTokens = specialIDs.map { (tokens[Int($0)], $0) }.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
        var vocabulary: [String: Int32] = [:]
        for (i, t) in tokens.enumerated() where vocabulary[t] == nil { vocabulary[t] = Int32(i) }
        bpe = try BytePairEncoding(vocabulary: vocabulary, merges: merges, source: source)
        preTokenizer = GPT2PreTokenizer(individualDigits: individualDigits)
        self.bosTokenID = bosTokenID
        self.addBOS = addBOS
        self.chatTemplate = chatTemplate
    }

    /// Number of token ids.
    public var vocabularySize: Int { tokens.count }

    /// Token ids of `text`. Special tokens written in the text (e.g. "<|im_start|>") become their ids.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> [Int32] {
        var ids: [Int32] = []
        if addSpecialTokens, addBOS, let bos = bosTokenID { ids.append(bos) }
        var rest = Substring(text)
        while !rest.isEmpty {
            var nextSpecial: (range: Range<Substring.Index>, id: Int32)?
            for special in specialTokens {
                if let r = rest.range(of: special.text), nextSpecial == nil || r.lowerBound < nextSpecial!.range.lowerBound {
                    nextSpecial = (r, special.id)
                }
            }
            let plainEnd = nextSpecial?.range.lowerBound ?? rest.endIndex
            for word in preTokenizer.split(String(rest[..<plainEnd])) {
                let mapped = ByteLevelAlphabet.encode(word.utf8)
                guard let wordIDs = bpe.encode(word: mapped) else {
                    throw TokenizerError.unencodable(word: word, tokenizer: kind)
                }
                ids.append(contentsOf: wordIDs)
            }
            guard let special = nextSpecial else { break }
            ids.append(special.id)
            rest = rest[special.range.upperBound...]
        }
        return ids
    }

    /// The bytes that token `id` stands for.
    public func bytes(of id: Int32) -> [UInt8] {
        guard tokens.indices.contains(Int(id)) else { return [] }
        let token = tokens[Int(id)]
        return specialIDs.contains(id) ? Array(token.utf8) : ByteLevelAlphabet.decode(token)
    }

    /// The text of `ids` (invalid UTF-8 sequences become U+FFFD).
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids where !(skipSpecialTokens && specialIDs.contains(id)) { bytes.append(contentsOf: self.bytes(of: id)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Text that a tokenizer cannot turn into ids, or a tokenizer file we cannot use.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unencodable(word: String, tokenizer: String)
    case invalidUTF8(String)

    public var description: String {
        switch self {
        case let .unencodable(word, tokenizer): return "\(tokenizer): cannot encode '\(word)': a byte is missing from the vocabulary"
        case let .invalidUTF8(field): return "\(field): input is not valid UTF-8"
        }
    }
}
