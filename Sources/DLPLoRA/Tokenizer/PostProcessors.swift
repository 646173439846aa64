// PostProcessors.swift: the post-processor stage: the special tokens added around an encoded sequence
// (TemplateProcessing's single template, ByteLevel's no-op for ids, Sequence), used when encoding with
// special tokens.

struct PostProcessor: Sendable {
    /// Ids before and after the sequence.
    var prefix: [Int32] = []
    var suffix: [Int32] = []

    func apply(_ ids: [Int32]) -> [Int32] { prefix + ids + suffix }

    /// Parses a tokenizer.json post_processor object (nil JSON: none); ids must be below `vocabularySize`.
    static func parse(_ node: Any?, path: String, vocabularySize: Int) throws -> PostProcessor? {
        guard let dict = node as? [String: Any] else { return nil }
        let type = dict["type"] as? String ?? ""
        switch type {
        case "ByteLevel":
            return PostProcessor()
        case "TemplateProcessing":
            var result = PostProcessor()
            let special = dict["special_tokens"] as? [String: [String: Any]] ?? [:]
            var seenSequence = false
            for item in dict["single"] as? [[String: Any]] ?? [] {
                if item["Sequence"] != nil { seenSequence = true; continue }
                guard let token = item["SpecialToken"] as? [String: Any], let name = token["id"] as? String else {
                    throw LoadError.malformed(path: path, field: "post_processor.single", reason: "expected Sequence or SpecialToken items")
                }
                guard let ids = special[name]?["ids"] as? [Int] else {
                    throw LoadError.malformed(path: path, field: "post_processor.special_tokens.\(name)", reason: "missing ids")
                }
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                    throw LoadError.malformed(path: path, field: "post_processor.special_tokens.\(name).ids",
                                              reason: "id \(bad) is outside the vocabulary (0..<\(vocabularySize))")
                }
                if seenSequence { result.suffix += ids.map(Int32.init) } else { result.prefix += ids.map(Int32.init) }
            }
            return result
        case "Sequence":
            var result = PostProcessor()
            for step in dict["processors"] as? [Any] ?? [] {
                if let p = try parse(step, path: path, vocabularySize: vocabularySize) { result.prefix += p.prefix; result.suffix = p.suffix + result.suffix }
            }
            return result
        default:
            throw LoadError.unsupported(path: path, field: "post_processor.type", value: type, supported: "TemplateProcessing, ByteLevel, Sequence")
        }
    }
}
