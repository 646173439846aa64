// TokenizerLoader.swift: builds a Tokenizer from a tokenizer.json (normalizer, pre-tokenizer, BPE model,
// post-processor, decoder, added tokens, each stage parsed by its own file), or from a GGUF file's
// tokenizer.ggml.* metadata: "gpt2" (BPE with merges and the pre-tokenizer patterns llama.cpp uses for
// tokenizer.ggml.pre) and "llama" (SentencePiece scores). Anything else is a clear error.
import Foundation

public enum TokenizerLoader {
    /// The tokenizer at `path`: a .gguf file, a tokenizer.json, or a model folder holding one.
    public static func load(path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError.cannotOpen(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue {
            let json = (path as NSString).appendingPathComponent("tokenizer.json")
            let config = (path as NSString).appendingPathComponent("tokenizer_config.json")
            return try fromTokenizerJSON(path: json, configPath: FileManager.default.fileExists(atPath: config) ? config : nil)
        }
        if path.hasSuffix(".json") { return try fromTokenizerJSON(path: path, configPath: nil) }
        return try fromGGUF(try GGUFFile(path: path))
    }

    /// The tokenizer of a GGUF file, or nil when the file carries none (no tokenizer.ggml.model).
    static func fromGGUFIfPresent(path: String) throws -> Tokenizer? {
        let file = try GGUFFile(path: path)
        return file.metadata["tokenizer.ggml.model"] == nil ? nil : try fromGGUF(file)
    }

    // MARK: GGUF

    /// llama.cpp's pre-tokenizer regexes per tokenizer.ggml.pre (applied in order, matches isolated).
    static func ggufPatterns(pre: String) -> [String]? {
        let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
        let llama3 = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        switch pre {
        case "default":
            return [#"[\p{P}\$\+<=>\^~\|]+"#, gpt2, #"\p{N}+"#, "[0-9][0-9][0-9]"]
        case "gpt-2", "gpt2", "mpt", "olmo", "jais":
            return [gpt2]
        case "llama-bpe", "llama3", "dbrx", "smaug-bpe":
            return [llama3]
        case "qwen2", "stablelm2":
            return [llama3.replacingOccurrences(of: #"\p{N}{1,3}"#, with: #"\p{N}"#)]
        case "qwen35":
            return [#"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#]
        case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva":
            return [#"\p{N}"#, gpt2]
        case "deepseek-llm":   // written with escapes: editors normalize some of these letters (U+1F7D to U+03CE)
            return ["[\r\n]",
                    "\\s?[A-Za-z\u{B5}\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{1BA}\u{1BC}-\u{1BF}\u{1C4}-\u{293}\u{295}-\u{2AF}\u{370}-\u{373}\u{376}\u{377}\u{37B}-\u{37D}\u{37F}\u{386}\u{388}-\u{38A}\u{38C}\u{38E}-\u{3A1}\u{3A3}-\u{3F5}\u{3F7}-\u{481}\u{48A}-\u{52F}\u{531}-\u{556}\u{10A0}-\u{10C5}\u{13A0}-\u{13F5}\u{13F8}-\u{13FD}\u{1C90}-\u{1CBA}\u{1CBD}-\u{1CBF}\u{1D00}-\u{1D2B}\u{1D6B}-\u{1D77}\u{1D79}-\u{1D9A}\u{1E00}-\u{1F15}\u{1F18}-\u{1F1D}\u{1F20}-\u{1F45}\u{1F48}-\u{1F4D}\u{1F50}-\u{1F57}\u{1F59}\u{1F5B}\u{1F5D}\u{1F5F}-\u{1F7D}\u{1F80}-\u{1FB4}\u{1FB6}-\u{1FBC}\u{1FBE}\u{1FC2}-\u{1FC4}\u{1FC6}-\u{1FCC}\u{1FD0}-\u{1FD3}\u{1FD6}-\u{1FDB}\u{1FE0}-\u{1FEC}\u{1FF2}-\u{1FF4}\u{1FF6}-\u{1FFC}\u{2102}\u{2107}\u{210A}-\u{2113}\u{2115}\u{2119}-\u{211D}\u{2124}\u{2126}\u{2128}\u{212A}-\u{212D}\u{212F}-\u{2134}\u{2139}\u{213C}-\u{213F}\u{2145}-\u{2149}\u{214E}\u{2183}\u{2184}\u{2C00}-\u{2C7B}\u{2C7E}-\u{2CE4}\u{2CEB}-\u{2CEE}\u{2CF2}\u{2CF3}\u{A640}-\u{A66D}\u{A680}-\u{A69B}\u{A722}-\u{A76F}\u{A771}-\u{A787}\u{A78B}-\u{A78E}\u{AB70}-\u{ABBF}\u{FB00}-\u{FB06}\u{FB13}-\u{FB17}\u{FF21}-\u{FF3A}\u{FF41}-\u{FF5A}\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}]+",
                    "\\s?[!-/:-~\u{FF01}-\u{FF0F}\u{FF1A}-\u{FF5E}\u{2018}-\u{201F}\u{3000}-\u{3002}]+",
                    "\\s+$",
                    "[\u{4E00}-\u{9FA5}\u{800}-\u{4E00}\u{AC00}-\u{D7FF}]+",
                    "\\p{N}+"]
        case "deepseek-coder":
            return ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u{4E00}-\u{9FA5}\u{800}-\u{4E00}\u{AC00}-\u{D7FF}]+", "\\p{N}"]
        case "falcon":
            return [#"[\p{P}\$\+<=>\^~\|`]+"#, gpt2, "[0-9][0-9][0-9]"]
        default:
            return nil
        }
    }

    static let supportedGGUFPre = ["default", "gpt-2", "mpt", "olmo", "llama-bpe", "dbrx", "smaug-bpe", "qwen2", "stablelm2", "qwen35",
                                   "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva", "deepseek-llm",
                                   "deepseek-coder", "falcon"]

    static func fromGGUF(_ file: GGUFFile) throws -> Tokenizer {
        let path = file.path
        let meta = file.metadata
        guard let modelName = meta["tokenizer.ggml.model"]?.stringValue else {
            throw LoadError.invalidConfig(path: path, field: "tokenizer.ggml.model", reason: "the file carries no tokenizer")
        }
        guard case let .array(tokenValues)? = meta["tokenizer.ggml.tokens"] else {
            throw LoadError.invalidConfig(path: path, field: "tokenizer.ggml.tokens", reason: "missing or not an array")
        }
        let tokens = try tokenValues.enumerated().map { i, v -> String in
            guard let s = v.stringValue else { throw LoadError.malformed(path: path, field: "tokenizer.ggml.tokens[\(i)]", reason: "not a string") }
            return s
        }
        guard !tokens.isEmpty, tokens.count <= Int(Int32.max) else {
            throw LoadError.invalidConfig(path: path, field: "tokenizer.ggml.tokens", reason: "holds \(tokens.count) tokens (needs 1 to 2^31-1)")
        }
        var types = [Int](repeating: 1, count: tokens.count)
        if case let .array(values)? = meta["tokenizer.ggml.token_type"] {
            for (i, t) in values.enumerated() where i < types.count { types[i] = t.intValue ?? 1 }
        }
        // control (3) tokens match only with parseSpecial; user-defined (4) always (llama.cpp's rule)
        let rstripAll = (meta["general.name"]?.stringValue ?? "").lowercased().contains("phi-3") || (meta["general.name"]?.stringValue ?? "").lowercased().contains("phi3")
        let added = types.enumerated().compactMap { i, t -> AddedToken? in
            guard t == 3 || t == 4, !tokens[i].isEmpty else { return nil }
            let rstrip = rstripAll && !["<unk>", "<s>", "<|endoftext|>"].contains(tokens[i])
            return AddedToken(content: tokens[i], id: Int32(i), special: t == 3, lstrip: false, rstrip: rstrip)
        }
        // special-token ids must name tokens of this vocabulary (a stray id would index past the table)
        func tokenID(_ field: String) throws -> Int32? {
            guard let value = meta[field] else { return nil }
            guard let id = value.intValue else { throw LoadError.malformed(path: path, field: field, reason: "not an integer") }
            if id == -1 || id == Int(UInt32.max) { return nil }     // llama.cpp's "no such token"
            guard id >= 0, id < tokens.count else {
                throw LoadError.malformed(path: path, field: field, reason: "id \(id) is outside the vocabulary (0..<\(tokens.count))")
            }
            return Int32(id)
        }
        let bos = try tokenID("tokenizer.ggml.bos_token_id")
        let eos = try tokenID("tokenizer.ggml.eos_token_id")
        var post = PostProcessor()
        if meta["tokenizer.ggml.add_bos_token"]?.boolValue ?? (modelName == "llama"), let bos { post.prefix = [bos] }
        if meta["tokenizer.ggml.add_eos_token"]?.boolValue ?? false, let eos { post.suffix = [eos] }
        let template = meta["tokenizer.chat_template"]?.stringValue
        switch modelName {
        case "gpt2":
            var merges: [(String, String)] = []
            if case let .array(values)? = meta["tokenizer.ggml.merges"] {
                for (i, v) in values.enumerated() {
                    guard let line = v.stringValue?.unicodeScalars, let space = line.firstIndex(of: " ") else {
                        throw LoadError.malformed(path: path, field: "tokenizer.ggml.merges[\(i)]", reason: "expected 'left right'")
                    }
                    merges.append((String(line[..<space]), String(line[line.index(after: space)...])))
                }
            }
            let pre = meta["tokenizer.ggml.pre"]?.stringValue ?? "default"
            guard let patterns = ggufPatterns(pre: pre) else {
                throw LoadError.unsupported(path: path, field: "tokenizer.ggml.pre", value: pre, supported: supportedGGUFPre.joined(separator: ", "))
            }
            let splitters = try patterns.map { PreTokenizer.split(PatternSplitter(engine: try PatternSplitter.engine(forPattern: $0), behavior: .isolated, invert: false)) }
            var vocabulary: [ExactText: Int32] = [:]
            for (i, t) in tokens.enumerated() where vocabulary[ExactText(t)] == nil { vocabulary[ExactText(t)] = Int32(i) }
            let bpe = try BytePairEncoding(vocabulary: vocabulary, merges: merges, ignoreMerges: ["llama-bpe", "llama3", "dbrx", "smaug-bpe"].contains(pre), source: path)
            return Tokenizer(kind: "gguf:gpt2 (\(pre))", tokens: tokens, model: .bpe(bpe), normalizer: nil,
                             preTokenizer: .sequence(splitters + [.byteLevel(addPrefixSpace: false, useRegex: false)]),
                             postProcessor: post, decoder: .byteLevel, addedTokens: added, bosTokenID: bos, eosTokenID: eos, chatTemplate: template)
        case "llama":
            guard case let .array(scoreValues)? = meta["tokenizer.ggml.scores"], scoreValues.count == tokens.count else {
                throw LoadError.invalidConfig(path: path, field: "tokenizer.ggml.scores", reason: "missing, or not one score per token")
            }
            let scores = try scoreValues.enumerated().map { i, v -> Float in
                guard let score = v.doubleValue.map(Float.init), score.isFinite || score == -.infinity else {
                    throw LoadError.malformed(path: path, field: "tokenizer.ggml.scores[\(i)]", reason: "not a number in Float's range (NaN or +inf)")
                }
                return score
            }
            let addSpacePrefix = meta["tokenizer.ggml.add_space_prefix"]?.boolValue ?? true
            let unk = try tokenID("tokenizer.ggml.unknown_token_id") ?? 0
            let spm = SentencePieceModel(tokens: tokens, scores: scores, unknownID: unk)
            var decoderSteps: [TokenDecoder] = [.replace(.string("▁"), " "), .byteFallback, .fuse]
            if addSpacePrefix { decoderSteps.append(.strip(content: " ", start: 1, stop: 0)) }
            return Tokenizer(kind: "gguf:llama (SentencePiece)", tokens: tokens, model: .sentencePiece(spm, addSpacePrefix: addSpacePrefix),
                             normalizer: nil, preTokenizer: nil, postProcessor: post, decoder: .sequence(decoderSteps),
                             addedTokens: added.filter { types[Int($0.id)] == 4 || types[Int($0.id)] == 3 }, bosTokenID: bos, eosTokenID: eos, chatTemplate: template)
        default:
            throw LoadError.unsupported(path: path, field: "tokenizer.ggml.model", value: modelName, supported: "gpt2 (BPE), llama (SentencePiece)")
        }
    }
}
