// TokenizerLoader.swift: builds a Tokenizer from a GGUF file (tokenizer.ggml.model = gpt2) or from a
// tokenizer.json (model.type = BPE with a ByteLevel pre-tokenizer); anything else is a clear error.
import Foundation

public enum TokenizerLoader {
    /// The tokenizer at `path`: a .gguf file, a tokenizer.json, or a model folder holding one.
    public static func load(path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError.cannotOpen(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue {
            return try fromTokenizerJSON(path: (path as NSString).appendingPathComponent("tokenizer.json"))
        }
        if path.hasSuffix(".json") { return try fromTokenizerJSON(path: path) }
        return try fromGGUF(try GGUFFile(path: path))
    }

    /// The tokenizer of a GGUF file, or nil when the file carries none (no tokenizer.ggml.model).
    static func fromGGUFIfPresent(path: String) throws -> Tokenizer? {
        let file = try GGUFFile(path: path)
        return file.metadata["tokenizer.ggml.model"] == nil ? nil : try fromGGUF(file)
    }

    static func fromGGUF(_ file: GGUFFile) throws -> Tokenizer {
        let path = file.path
        let meta = file.metadata
        guard let model = meta["tokenizer.ggml.model"]?.stringValue else {
            throw LoadError.invalidConfig(path: path, field: "tokenizer.ggml.model", reason: "the file carries no tokenizer")
        }
        guard model == "gpt2" else {
            throw LoadError.unsupported(path: path, field: "tokenizer.ggml.model", value: model, supported: "gpt2 (byte-level BPE)")
        }
        guard case let .array(tokenValues)? = meta["tokenizer.ggml.tokens"] else {
            throw LoadError.invalidConfig(path: path, field: "tokenizer.ggml.tokens", reason: "missing or not an array")
        }
        let tokens = try tokenValues.enumerated().map { i, v -> String in
            guard let s = v.stringValue else {
                throw LoadError.malformed(path: path, field: "tokenizer.ggml.tokens[\(i)]", reason: "not a string")
            }
            return s
        }
        var special = Set<Int32>()
        if case let .array(types)? = meta["tokenizer.ggml.token_type"] {
            for (i, t) in types.enumerated() where t.intValue == 3 || t.intValue == 4 { special.insert(Int32(i)) }
        }
        var merges: [(String, String)] = []
        if case let .array(mergeValues)? = meta["tokenizer.ggml.merges"] {
            for (i, v) in mergeValues.enumerated() {
                guard let line = v.stringValue, let space = line.firstIndex(of: " ") else {
                    throw LoadError.malformed(path: path, field: "tokenizer.ggml.merges[\(i)]", reason: "expected 'left right'")
                }
                merges.append((String(line[..<space]), String(line[line.index(after: space)...])))
            }
        }
        let pre = meta["tokenizer.ggml.pre"]?.stringValue ?? "default"
        let supportedPre = ["default", "gpt-2", "gpt2", "smollm"]
        guard supportedPre.contains(pre) else {
            throw LoadError.unsupported(path: path, field: "tokenizer.ggml.pre", value: pre, supported: supportedPre.joined(separator: ", "))
        }
        let bos = meta["tokenizer.ggml.bos_token_id"]?.intValue.map { Int32($0) }
        return try Tokenizer(kind: "gguf:gpt2 (\(pre))", tokens: tokens, specialIDs: special, merges: merges,
                             individualDigits: pre == "smollm", bosTokenID: bos,
                             addBOS: meta["tokenizer.ggml.add_bos_token"]?.boolValue ?? false,
                             chatTemplate: meta["tokenizer.chat_template"]?.stringValue, source: path)
    }

    static func fromTokenizerJSON(path: String) throws -> Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError.cannotOpen(path: path, reason: error.localizedDescription)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LoadError.malformed(path: path, field: "tokenizer.json", reason: "not a JSON object")
        }
        guard let model = root["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Int] else {
            throw LoadError.malformed(path: path, field: "model.vocab", reason: "missing or not an object of token -> id")
        }
        let type = model["type"] as? String ?? "BPE"
        guard type == "BPE" else {
            throw LoadError.unsupported(path: path, field: "model.type", value: type, supported: "BPE")
        }
        let preDescription = describe(root["pre_tokenizer"])
        guard preDescription == "ByteLevel" || preDescription == "Digits(individual)+ByteLevel" else {
            throw LoadError.unsupported(path: path, field: "pre_tokenizer", value: preDescription,
                                        supported: "ByteLevel, optionally after Digits(individual_digits)")
        }
        var added: [(String, Int)] = []
        for item in root["added_tokens"] as? [[String: Any]] ?? [] {
            if let content = item["content"] as? String, let id = item["id"] as? Int { added.append((content, id)) }
        }
        let size = max(vocab.values.max() ?? -1, added.map(\.1).max() ?? -1) + 1
        var tokens = [String](repeating: "", count: size)
        for (t, id) in vocab where id >= 0 { tokens[id] = t }
        for (t, id) in added where id >= 0 { tokens[id] = t }
        var merges: [(String, String)] = []
        for (i, item) in (model["merges"] as? [Any] ?? []).enumerated() {
            if let line = item as? String, let space = line.firstIndex(of: " ") {
                merges.append((String(line[..<space]), String(line[line.index(after: space)...])))
            } else if let pair = item as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else {
                throw LoadError.malformed(path: path, field: "model.merges[\(i)]", reason: "expected 'left right' or [left, right]")
            }
        }
        let individualDigits = preDescription.contains("Digits(individual)")
        return try Tokenizer(kind: "tokenizer.json:BPE (\(preDescription))", tokens: tokens,
                             specialIDs: Set(added.map { Int32($0.1) }), merges: merges, individualDigits: individualDigits,
                             bosTokenID: nil, addBOS: false, chatTemplate: nil, source: path)
    }

    private static func describe(_ node: Any?) -> String {
        guard let dict = node as? [String: Any], let type = dict["type"] as? String else { return "none" }
        if type == "Sequence", let items = dict["pretokenizers"] as? [Any] {
            return items.map { describe($0) }.joined(separator: "+")
        }
        if type == "Digits" { return (dict["individual_digits"] as? Bool ?? false) ? "Digits(individual)" : "Digits" }
        return type
    }
}
