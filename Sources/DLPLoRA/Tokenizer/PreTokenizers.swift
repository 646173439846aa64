// PreTokenizers.swift: the pre-tokenizer stage: splitting normalized text into words (Split with a
// pattern, ByteLevel with or without GPT-2's regex, Digits, Metaspace, Whitespace, Sequence). ByteLevel
// also maps each word's bytes into the byte-level alphabet, and Metaspace replaces spaces by "▁".
import Foundation

enum PreTokenizer: Sendable {
    case split(PatternSplitter)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case digits(individual: Bool)
    case metaspace(replacement: String, prependScheme: String, split: Bool)
    case whitespaceSplit
    case sequence([PreTokenizer])

    /// Applies the stage to every word; `first` tells whether the first word starts the text.
    func apply(_ words: [String]) throws -> [String] {
        switch self {
        case let .split(splitter):
            return try words.flatMap { try splitter.split($0) }
        case let .byteLevel(addPrefixSpace, useRegex):
            return try words.enumerated().flatMap { index, word -> [String] in
                let text = addPrefixSpace && index == 0 && !word.hasScalarPrefix(" ") ? " " + word : word
                let pieces = useRegex ? try Self.gpt2.split(text) : [text]
                return pieces.map { ByteLevelAlphabet.encode($0.utf8) }
            }
        case let .digits(individual):
            return try words.flatMap { try Self.digitSplitter(individual).split($0) }
        case let .metaspace(replacement, prependScheme, split):
            return words.enumerated().flatMap { index, word -> [String] in
                var text = word.replacingScalars(" ", with: replacement)
                if prependScheme == "always" || (prependScheme == "first" && index == 0), !text.hasScalarPrefix(replacement) {
                    text = replacement + text
                }
                guard split else { return [text] }
                return Self.splitBefore(text, marker: replacement)
            }
        case .whitespaceSplit:
            return words.flatMap { word in   // scalars, as Rust's char::is_whitespace splits
                word.unicodeScalars.split(whereSeparator: { $0.properties.isWhitespace }).map { String(String.UnicodeScalarView($0)) }
            }
        case let .sequence(steps):
            return try steps.reduce(words) { try $1.apply($0) }
        }
    }

    /// When the stage only splits (Split, Digits) and ends in a plain byte-level mapping, the splitters
    /// to run on ranges of the text, with no string built per intermediate piece (the fast path).
    var rangeSplitters: (splitters: [PatternSplitter], byteLevel: Bool)? {
        switch self {
        case let .split(splitter): return ([splitter], false)
        case let .digits(individual): return ([Self.digitSplitter(individual)], false)
        case let .byteLevel(addPrefixSpace, useRegex): return addPrefixSpace ? nil : (useRegex ? [Self.gpt2] : [], true)
        case let .sequence(steps):
            var splitters: [PatternSplitter] = []
            for (i, step) in steps.enumerated() {
                guard let (more, byteLevel) = step.rangeSplitters else { return nil }
                splitters += more
                if byteLevel { return i == steps.count - 1 ? (splitters, true) : nil }
            }
            return (splitters, false)
        default: return nil
        }
    }

    static let gpt2 = PatternSplitter(engine: .scanner(GPT2Matcher()), behavior: .isolated, invert: false)

    static func digitSplitter(_ individual: Bool) -> PatternSplitter {
        PatternSplitter(engine: .scanner(DigitsMatcher(maxDigits: individual ? 1 : Int.max)), behavior: .isolated, invert: false)
    }

    /// "▁a▁b" -> ["▁a", "▁b"] (tokenizers' MergedWithNext on the replacement).
    static func splitBefore(_ text: String, marker: String) -> [String] {
        guard let markerScalar = marker.unicodeScalars.first, marker.unicodeScalars.count == 1 else { return [text] }
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {          // scalars: a combining mark after "▁" is its own char
            if scalar == markerScalar, !current.isEmpty { pieces.append(String(current)); current = String.UnicodeScalarView() }
            current.append(scalar)
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces
    }

    /// Parses a tokenizer.json pre_tokenizer object (nil JSON: none).
    static func parse(_ node: Any?, path: String) throws -> PreTokenizer? {
        guard let dict = node as? [String: Any] else { return nil }
        let type = dict["type"] as? String ?? ""
        switch type {
        case "Split":
            let pattern: String
            let patternNode = dict["pattern"] as? [String: Any]
            if let regex = patternNode?["Regex"] as? String {
                pattern = regex
            } else if let literal = patternNode?["String"] as? String {
                pattern = NSRegularExpressionEscape.escape(literal)
            } else {
                throw LoadError.malformed(path: path, field: "pre_tokenizer.Split.pattern", reason: "expected {\"Regex\": ...} or {\"String\": ...}")
            }
            let behaviorName = dict["behavior"] as? String ?? "Isolated"
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw LoadError.unsupported(path: path, field: "pre_tokenizer.Split.behavior", value: behaviorName,
                                            supported: "Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous")
            }
            return .split(PatternSplitter(engine: try PatternSplitter.engine(forPattern: pattern), behavior: behavior,
                                          invert: dict["invert"] as? Bool ?? false))
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: dict["add_prefix_space"] as? Bool ?? false, useRegex: dict["use_regex"] as? Bool ?? true)
        case "Digits":
            return .digits(individual: dict["individual_digits"] as? Bool ?? false)
        case "Metaspace":
            var scheme = dict["prepend_scheme"] as? String ?? "always"
            if dict["prepend_scheme"] == nil, let add = dict["add_prefix_space"] as? Bool { scheme = add ? "always" : "never" }
            return .metaspace(replacement: dict["replacement"] as? String ?? "▁", prependScheme: scheme, split: dict["split"] as? Bool ?? true)
        case "WhitespaceSplit":
            return .whitespaceSplit
        case "Sequence":
            return .sequence(try (dict["pretokenizers"] as? [Any] ?? []).compactMap { try parse($0, path: path) })
        default:
            throw LoadError.unsupported(path: path, field: "pre_tokenizer.type", value: type,
                                        supported: "Split, ByteLevel, Digits, Metaspace, WhitespaceSplit, Sequence")
        }
    }
}

/// Escapes a literal for use as a regex.
enum NSRegularExpressionEscape {
    static func escape(_ literal: String) -> String {
        var out = ""
        for ch in literal {
            if "\\^$.|?*+()[]{}".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}
