// TokenizerJSONLoader.swift: a Tokenizer from Hugging Face's tokenizer.json (BPE model, normalizer,
// pre-tokenizer, post-processor, decoder, added tokens) and tokenizer_config.json (chat template, BOS/EOS).
// The file is read with the project's own JSON reader, which keeps keys exactly as written: Foundation's
// JSONSerialization merges canonically equivalent vocabulary keys ("é" and "e" + U+0301) into one.
// Every id is checked against the entries present before anything is sized by it.
import Foundation

extension TokenizerLoader {
    static func fromTokenizerJSON(path: String, configPath: String?) throws -> Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError.cannotOpen(path: path, reason: error.localizedDescription)
        }
        let parsed: JinjaValue
        do { parsed = try JinjaValue.parseJSON(data) } catch {
            throw LoadError.malformed(path: path, field: "tokenizer.json", reason: "not valid JSON (\(error))")
        }
        guard case let .dict(root) = parsed else {
            throw LoadError.malformed(path: path, field: "tokenizer.json", reason: "not a JSON object")
        }
        guard case let .dict(model)? = root["model"], case let .dict(vocabObject)? = model["vocab"] else {
            throw LoadError.malformed(path: path, field: "model.vocab", reason: "missing or not an object of token -> id")
        }
        // the model's settings, without converting the (large) vocabulary and merges
        var modelConfig: [String: Any] = [:]
        for (key, value) in model.pairs {
            if case let .string(k) = key, k != "vocab", k != "merges" { modelConfig[k] = value.foundationValue }
        }
        let type = modelConfig["type"] as? String ?? "BPE"
        guard type == "BPE" else {
            throw LoadError.unsupported(path: path, field: "model.type", value: type, supported: "BPE")
        }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = modelConfig[field] as? String, !value.isEmpty {
                throw LoadError.unsupported(path: path, field: "model.\(field)", value: value, supported: "null (no subword affixes)")
            }
        }
        var addedItems: [JinjaValue] = []
        if let addedNode = root["added_tokens"], !addedNode.isNone {
            guard case let .list(items) = addedNode else {
                throw LoadError.malformed(path: path, field: "added_tokens", reason: "not a list")
            }
            addedItems = items
        }
        // ids index a dense table: gaps are legal, but an id far past the entries the file holds would
        // size the table by the field instead of by the file
        let idLimit = min(1 << 24, vocabObject.count + addedItems.count + (1 << 20))
        func checkedID(_ value: JinjaValue, field: @autoclosure () -> String) throws -> Int32 {
            guard case let .int(id) = value else { throw LoadError.malformed(path: path, field: field(), reason: "the id is not an integer") }
            guard id >= 0, id < idLimit else {
                throw LoadError.malformed(path: path, field: field(),
                                         reason: "id \(id) is outside 0..<\(idLimit) (\(vocabObject.count + addedItems.count) entries, gaps of up to 2^20)")
            }
            return Int32(id)
        }
        var vocabulary: [ExactText: Int32] = [:]
        vocabulary.reserveCapacity(vocabObject.count)
        var entries: [(token: String, id: Int32)] = []          // in file order, so id -> token is the same every run
        for (key, value) in vocabObject.pairs {
            guard case let .string(token) = key else { continue }
            let id = try checkedID(value, field: "model.vocab[\"\(token)\"]")
            vocabulary[ExactText(token)] = id
            entries.append((token, id))
        }
        var added: [AddedToken] = []
        for (i, node) in addedItems.enumerated() {
            guard case let .dict(item) = node, case let .string(content)? = item["content"], let idNode = item["id"] else {
                throw LoadError.malformed(path: path, field: "added_tokens[\(i)]", reason: "needs content and id")
            }
            let flags = item.foundationObject
            added.append(AddedToken(content: content, id: try checkedID(idNode, field: "added_tokens[\(i)].id"),
                                    special: flags["special"] as? Bool ?? false,
                                    lstrip: flags["lstrip"] as? Bool ?? false, rstrip: flags["rstrip"] as? Bool ?? false))
        }
        let size = max(vocabulary.values.max().map { Int($0) } ?? -1, added.map { Int($0.id) }.max() ?? -1) + 1
        var tokens = [String](repeating: "", count: size)
        for (token, id) in entries { tokens[Int(id)] = token }
        for a in added { tokens[Int(a.id)] = a.content }
        var merges: [(String, String)] = []
        if let mergesNode = model["merges"], !mergesNode.isNone {
            guard case let .list(items) = mergesNode else { throw LoadError.malformed(path: path, field: "model.merges", reason: "not a list") }
            merges.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                if case let .string(line) = item, let space = line.unicodeScalars.firstIndex(of: " ") {
                    merges.append((String(line.unicodeScalars[..<space]), String(line.unicodeScalars[line.unicodeScalars.index(after: space)...])))
                } else if case let .list(pair) = item, pair.count == 2, case let .string(left) = pair[0], case let .string(right) = pair[1] {
                    merges.append((left, right))
                } else {
                    throw LoadError.malformed(path: path, field: "model.merges[\(i)]", reason: "expected 'left right' or [left, right]")
                }
            }
        }
        let bpe = try BytePairEncoding(vocabulary: vocabulary, merges: merges, byteFallback: modelConfig["byte_fallback"] as? Bool ?? false,
                                       unknownToken: modelConfig["unk_token"] as? String, fuseUnknown: modelConfig["fuse_unk"] as? Bool ?? false,
                                       ignoreMerges: modelConfig["ignore_merges"] as? Bool ?? false, source: path)
        let normalizer = try Normalizer.parse(root["normalizer"]?.foundationValue, path: path)
        let preTokenizer = try PreTokenizer.parse(root["pre_tokenizer"]?.foundationValue, path: path)
        let post = try PostProcessor.parse(root["post_processor"]?.foundationValue, path: path, vocabularySize: size)
        let decoder = try TokenDecoder.parse(root["decoder"]?.foundationValue, path: path) ?? .fuse
        // tokenizer_config.json (beside it in a model folder) carries the chat template and BOS/EOS names
        var template: String?, bos: Int32?, eos: Int32?
        if let configPath {
            let config: JinjaDict
            do {
                guard case let .dict(object) = try JinjaValue.parseJSON(try Data(contentsOf: URL(fileURLWithPath: configPath))) else {
                    throw LoadError.malformed(path: configPath, field: "tokenizer_config.json", reason: "not a JSON object")
                }
                config = object
            } catch let error as LoadError {
                throw error
            } catch {
                throw LoadError.malformed(path: configPath, field: "tokenizer_config.json", reason: "not readable JSON (\(error))")
            }
            template = chatTemplate(config["chat_template"])
            func id(_ key: String) -> Int32? {
                let name: String
                switch config[key] {
                case let .string(s)?: name = s
                case let .dict(d)?: guard case let .string(s)? = d["content"] else { return nil }; name = s
                default: return nil
                }
                return added.first(where: { sameScalars($0.content, name) })?.id ?? vocabulary[ExactText(name)]
            }
            bos = id("bos_token")
            eos = id("eos_token")
        }
        // newer transformers save the template as chat_template.jinja beside tokenizer_config.json
        if template == nil {
            let jinja = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("chat_template.jinja")
            template = try? String(contentsOfFile: jinja, encoding: .utf8)
        }
        return Tokenizer(kind: "tokenizer.json: BPE", tokens: tokens, model: .bpe(bpe), normalizer: normalizer, preTokenizer: preTokenizer,
                         postProcessor: post, decoder: decoder, addedTokens: added, bosTokenID: bos, eosTokenID: eos, chatTemplate: template)
    }
}

/// tokenizer_config.json's chat_template: a string, or a list of named templates (the "default" one, as
/// transformers picks without tools).
private func chatTemplate(_ field: JinjaValue?) -> String? {
    switch field {
    case let .string(text)?: return text
    case let .list(named)?:
        let dicts = named.compactMap { if case let .dict(d) = $0 { return d } else { return nil } }
        let chosen = dicts.first { if case let .string(n)? = $0["name"] { return n == "default" } else { return false } } ?? dicts.first
        if case let .string(text)? = chosen?["template"] { return text }
        return nil
    default: return nil
    }
}

extension JinjaValue {
    /// The value as JSONSerialization would give it (for the stage parsers, whose keys are plain names).
    var foundationValue: Any {
        switch self {
        case let .bool(b): return b
        case let .int(i): return i
        case let .float(d): return d
        case let .string(s), let .markup(s): return s
        case let .list(items), let .tuple(items), let .iterator(items): return items.map(\.foundationValue)
        case let .dict(d): return d.foundationObject
        default: return NSNull()
        }
    }

    var isNone: Bool { if case .none = self { return true } else { return false } }
}

extension JinjaDict {
    /// String-keyed entries as a Foundation dictionary (later duplicates win, as in JSONSerialization).
    var foundationObject: [String: Any] {
        var out: [String: Any] = [:]
        for (key, value) in pairs { if case let .string(k) = key { out[k] = value.foundationValue } }
        return out
    }
}
