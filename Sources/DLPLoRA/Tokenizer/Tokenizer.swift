// Tokenizer.swift: text <-> token ids. Encoding runs the stages in order: added/special tokens are split
// out of the raw text, each remaining fragment is normalized, pre-tokenized into words and encoded by the
// model (BPE with merges, or SentencePiece scores), then the post-processor adds BOS/EOS. Decoding runs
// the decoder chain. Built by TokenizerLoader from a tokenizer.json or a GGUF file.
import Foundation

/// A tokenizer for one model.
public final class Tokenizer: @unchecked Sendable {
    enum Model {
        case bpe(BytePairEncoding)
        /// GGUF "llama": SentencePiece scores; a space is prepended to text that follows a special token.
        case sentencePiece(SentencePieceModel, addSpacePrefix: Bool)
    }

    /// What the tokenizer is, for `inspect` ("tokenizer.json: BPE, ..." or "gguf:gpt2 (llama-bpe)").
    public let kind: String
    /// id -> token string (in the model's alphabet: byte-level characters, or "▁" for spaces).
    public let tokens: [String]
    let model: Model
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder
    let addedTokens: AddedTokenMatcher
    /// Added tokens: their content is their text, whatever the decoder does.
    let addedIDs: Set<Int32>
    /// Control tokens, dropped by decode(skipSpecialTokens: true).
    let controlIDs: Set<Int32>
    public let bosTokenID: Int32?
    public let eosTokenID: Int32?
    /// The model's chat template (Jinja source), when the files carry one.
    public let chatTemplate: String?

    init(kind: String, tokens: [String], model: Model, normalizer: Normalizer?, preTokenizer: PreTokenizer?,
         postProcessor: PostProcessor?, decoder: TokenDecoder, addedTokens: [AddedToken], bosTokenID: Int32?,
         eosTokenID: Int32?, chatTemplate: String?) {
        self.kind = kind
        self.tokens = tokens
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = AddedTokenMatcher(addedTokens)
        addedIDs = Set(addedTokens.map(\.id))
        controlIDs = Set(addedTokens.filter(\.special).map(\.id))
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.chatTemplate = chatTemplate
        if normalizer == nil, case .bpe = model, let fast = preTokenizer?.rangeSplitters, fast.byteLevel {
            rangeSplitters = fast.splitters
        } else {
            rangeSplitters = nil
        }
    }

    /// The fast path of byte-level BPE without a normalizer: splitters run over ranges of one scalar array.
    private let rangeSplitters: [PatternSplitter]?

    /// Byte-level words of s[range] through the range splitters, encoded.
    private func encodeByteLevelFast(_ s: [Unicode.Scalar], _ range: Range<Int>, splitters: [PatternSplitter],
                                     bpe: BytePairEncoding, into ids: inout [Int32]) throws {
        var pieces = [range]
        var next: [Range<Int>] = []
        for splitter in splitters {
            next.removeAll(keepingCapacity: true)
            for piece in pieces { try splitter.split(s, piece, into: &next) }
            swap(&pieces, &next)
        }
        for piece in pieces where !piece.isEmpty {
            ids += bpe.encode(rawByteLevelWord: String(String.UnicodeScalarView(s[piece])))
        }
    }

    /// Number of token ids.
    public var vocabularySize: Int { tokens.count }

    /// Token ids of `text`. `addSpecialTokens` adds the post-processor's BOS/EOS; `parseSpecial` lets
    /// control tokens written in the text ("<|im_start|>") become their ids.
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecial: Bool = true) throws -> [Int32] {
        var ids: [Int32] = []
        if let splitters = rangeSplitters, case let .bpe(bpe) = model {
            let s = Array(text.unicodeScalars)
            for fragment in addedTokens.splitRanges(s, parseSpecial: parseSpecial) {
                switch fragment {
                case let .token(id): ids.append(id)
                case let .range(range): try encodeByteLevelFast(s, range, splitters: splitters, bpe: bpe, into: &ids)
                }
            }
            return addSpecialTokens ? (postProcessor?.apply(ids) ?? ids) : ids
        }
        var previousWasSpecial = true
        for fragment in addedTokens.split(text, parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(id):
                ids.append(id)
                previousWasSpecial = true
            case let .text(raw):
                switch model {
                case let .bpe(bpe):
                    let normalized = try normalizer?.apply(raw) ?? raw
                    for word in try preTokenizer?.apply([normalized]) ?? [normalized] { ids += bpe.encode(word: word) }
                case let .sentencePiece(spm, addSpacePrefix):
                    let prefixed = addSpacePrefix && previousWasSpecial ? " " + raw : raw
                    ids += spm.encode(prefixed.replacingScalars(" ", with: "▁"))
                }
                previousWasSpecial = false
            }
        }
        return addSpecialTokens ? (postProcessor?.apply(ids) ?? ids) : ids
    }

    /// Token ids of UTF-8 `bytes`; invalid UTF-8 is an error naming the offset.
    public func encode(utf8 bytes: [UInt8], addSpecialTokens: Bool = true, parseSpecial: Bool = true) throws -> [Int32] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let valid = StreamingDetokenizer.validPrefixLength(bytes)
            throw TokenizerError.invalidUTF8("input byte \(valid)")
        }
        return try encode(text, addSpecialTokens: addSpecialTokens, parseSpecial: parseSpecial)
    }

    /// The text of `ids`, through the decoder chain.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        let pieces = ids.compactMap { id -> String? in
            guard tokens.indices.contains(Int(id)), !(skipSpecialTokens && controlIDs.contains(id)) else { return nil }
            return tokens[Int(id)]
        }
        return decoder.decodeChain(pieces).joined()
    }

    /// The bytes token `id` stands for on its own (the streaming view of the decoder).
    public func bytes(of id: Int32) -> [UInt8] {
        guard tokens.indices.contains(Int(id)) else { return [] }
        let token = tokens[Int(id)]
        if addedIDs.contains(id) { return Array(token.utf8) }
        if decoder.isByteLevel { return ByteLevelAlphabet.decode(token) }
        if let b = TokenDecoder.byteValue(token) { return [b] }
        if let marker = decoder.spaceMarker { return Array(token.replacingScalars(marker, with: " ").utf8) }
        return Array(token.utf8)
    }

    /// Whether decoding drops the space that starts the text (SentencePiece-style prefixes).
    public var stripsLeadingSpace: Bool { decoder.stripsLeadingSpace }
}

/// Text that a tokenizer cannot take.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case invalidUTF8(String)
    case invalidPattern(String)
    case patternTooSlow(String, scalars: Int)

    public var description: String {
        switch self {
        case let .invalidUTF8(place): return "the text is not valid UTF-8 (at \(place))"
        case let .invalidPattern(pattern): return "the pre-tokenizer pattern '\(pattern)' is not a valid regular expression"
        case let .patternTooSlow(pattern, scalars):
            return "the pre-tokenizer pattern '\(pattern)' took longer than its budget on \(scalars) characters (it backtracks catastrophically); the text was not tokenized"
        }
    }
}
