// Decoders.swift: the decoder stage, token strings -> text, as tokenizers' decode chain does it
// (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence), and the per-token bytes that
// streaming uses (a token's bytes do not depend on its neighbours, except the first token's space).
import Foundation

enum TokenDecoder: Sendable {
    case byteLevel
    case metaspace(replacement: String, stripFirstSpace: Bool)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case replace(PatternOrString, String)
    case sequence([TokenDecoder])

    /// tokenizers' decode_chain.
    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            return [String(decoding: tokens.flatMap { ByteLevelAlphabet.decode($0) }, as: UTF8.self)]
        case let .metaspace(replacement, stripFirstSpace):
            return tokens.enumerated().map { i, t in
                let s = t.replacingScalars(replacement, with: " ")
                return i == 0 && stripFirstSpace && s.hasScalarPrefix(" ") ? String(s.unicodeScalars.dropFirst()) : s
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validating: pending, as: UTF8.self) { out.append(s) } else { out += Array(repeating: "\u{FFFD}", count: pending.count) }
                pending.removeAll()
            }
            for t in tokens {
                if let b = Self.byteValue(t) { pending.append(b) } else { flush(); out.append(t) }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { t in
                var chars = Array(t.unicodeScalars)   // scalars: a combining mark is its own char
                var cutStart = 0
                while cutStart < start, cutStart < chars.count, chars[cutStart] == content { cutStart += 1 }
                var cutStop = 0
                while cutStop < stop, cutStop < chars.count - cutStart, chars[chars.count - 1 - cutStop] == content { cutStop += 1 }
                chars = Array(chars[cutStart..<(chars.count - cutStop)])
                return String(String.UnicodeScalarView(chars))
            }
        case let .replace(pattern, content):
            // a decoder regex past its budget leaves the token as it is (decoding cannot fail)
            return tokens.map { (try? pattern.replaceAll(in: $0, with: content)) ?? $0 }
        case let .sequence(steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        }
    }

    /// "<0x41>" -> 0x41.
    static func byteValue(_ token: String) -> UInt8? {
        guard token.utf8.count == 6, token.hasScalarPrefix("<0x"), token.utf8.last == UInt8(ascii: ">") else { return nil }
        return UInt8(token.dropFirst(3).prefix(2), radix: 16)
    }

    /// Whether the chain maps tokens through the byte-level alphabet.
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case let .sequence(steps): return steps.contains { $0.isByteLevel }
        default: return false
        }
    }

    /// Whether the text's first space is dropped (Metaspace prepend, or Strip(" ", 1) after Fuse).
    var stripsLeadingSpace: Bool {
        switch self {
        case let .metaspace(_, strip): return strip
        case let .strip(content, start, _): return content == " " && start > 0
        case let .sequence(steps): return steps.contains { $0.stripsLeadingSpace }
        default: return false
        }
    }

    /// The replacement character that stands for a space ("▁"), if any step maps it back.
    var spaceMarker: String? {
        switch self {
        case let .metaspace(replacement, _): return replacement
        case let .replace(.string(s), content) where content == " ": return s
        case let .sequence(steps): return steps.lazy.compactMap { $0.spaceMarker }.first
        default: return nil
        }
    }

    static func parse(_ node: Any?, path: String) throws -> TokenDecoder? {
        guard let dict = node as? [String: Any] else { return nil }
        let type = dict["type"] as? String ?? ""
        switch type {
        case "ByteLevel": return .byteLevel
        case "Metaspace":
            let scheme = dict["prepend_scheme"] as? String ?? ((dict["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
            return .metaspace(replacement: dict["replacement"] as? String ?? "▁", stripFirstSpace: scheme != "never")
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            let content = (dict["content"] as? String)?.unicodeScalars.first ?? " "
            return .strip(content: content, start: dict["start"] as? Int ?? 0, stop: dict["stop"] as? Int ?? 0)
        case "Replace":
            return .replace(try PatternOrString.parse(dict["pattern"], path: path, field: "decoder.Replace.pattern"), dict["content"] as? String ?? "")
        case "Sequence":
            return .sequence(try (dict["decoders"] as? [Any] ?? []).compactMap { try parse($0, path: path) })
        default:
            throw LoadError.unsupported(path: path, field: "decoder.type", value: type,
                                        supported: "ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence")
        }
    }
}
