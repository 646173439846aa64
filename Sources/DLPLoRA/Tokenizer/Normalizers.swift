// Normalizers.swift: the normalizer stage of tokenizer.json: NFC, NFKC, NFD, NFKD, Lowercase, Prepend,
// Replace (string or regex) and Sequence, applied to text before it is split into words.
import Foundation

enum Normalizer: Sendable {
    case nfc, nfkc, nfd, nfkd, lowercase
    case prepend(String)
    case replace(PatternOrString, String)
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])

    func apply(_ text: String) throws -> String {
        switch self {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return text.lowercased()
        case let .prepend(prefix): return text.isEmpty ? text : prefix + text
        case let .replace(pattern, content): return try pattern.replaceAll(in: text, with: content)
        case let .strip(left, right):
            var scalars = Substring(text).unicodeScalars[...]   // scalars: a mark after a space stays
            if left { scalars = scalars.drop { $0.properties.isWhitespace } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() } }
            return String(String.UnicodeScalarView(scalars))
        case let .sequence(steps): return try steps.reduce(text) { try $1.apply($0) }
        }
    }

    /// Parses a tokenizer.json normalizer object (nil JSON: no normalizer).
    static func parse(_ node: Any?, path: String) throws -> Normalizer? {
        guard let dict = node as? [String: Any] else { return nil }
        let type = dict["type"] as? String ?? ""
        switch type {
        case "NFC": return .nfc
        case "NFKC": return .nfkc
        case "NFD": return .nfd
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Prepend": return .prepend(dict["prepend"] as? String ?? "")
        case "Replace": return .replace(try PatternOrString.parse(dict["pattern"], path: path, field: "normalizer.Replace.pattern"),
                                        dict["content"] as? String ?? "")
        case "Strip": return .strip(left: dict["strip_left"] as? Bool ?? true, right: dict["strip_right"] as? Bool ?? true)
        case "Sequence":
            let steps = try (dict["normalizers"] as? [Any] ?? []).compactMap { try parse($0, path: path) }
            return .sequence(steps)
        default:
            throw LoadError.unsupported(path: path, field: "normalizer.type", value: type,
                                        supported: "NFC, NFKC, NFD, NFKD, Lowercase, Prepend, Replace, Strip, Sequence")
        }
    }
}

/// A `{"String": ...}` or `{"Regex": ...}` pattern of tokenizer.json.
enum PatternOrString: @unchecked Sendable {
    case string(String)
    case regex(NSRegularExpression, source: String)

    static func parse(_ node: Any?, path: String, field: String) throws -> PatternOrString {
        if let dict = node as? [String: Any] {
            if let s = dict["String"] as? String { return .string(s) }
            if let r = dict["Regex"] as? String {
                guard let regex = try? NSRegularExpression(pattern: r) else { throw LoadError.malformed(path: path, field: field, reason: "invalid regex '\(r)'") }
                return .regex(regex, source: r)
            }
        }
        if let s = node as? String { return .string(s) }
        throw LoadError.malformed(path: path, field: field, reason: "expected {\"String\": ...} or {\"Regex\": ...}")
    }

    /// Every match replaced by `content`; a regex past its time budget is an error.
    func replaceAll(in text: String, with content: String) throws -> String {
        switch self {
        case let .string(s): return text.replacingScalars(s, with: content)
        case let .regex(regex, source):
            guard let replaced = regex.boundedReplacing(in: text, with: content) else {
                throw TokenizerError.patternTooSlow(source, scalars: text.unicodeScalars.count)
            }
            return replaced
        }
    }
}
