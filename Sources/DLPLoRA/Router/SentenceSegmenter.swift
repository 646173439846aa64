// SentenceSegmenter.swift: splits text into sentences with their offsets in the original text. Latin
// script: a sentence ends at . ! ? or an ellipsis followed by whitespace (closing quotes and brackets
// stay with it), except after abbreviations ("e.g.", "Dr."), initials, and inside decimals, URLs and
// e-mail addresses; a blank line or a list item on the next line ends one too. CJK end marks (。！？)
// end a sentence without needing a space.

/// A sentence of a text.
public struct Sentence: Sendable, Equatable {
    public let text: String
    /// Offsets into the original text's UTF-8 bytes.
    public let utf8Range: Range<Int>
}

public enum SentenceSegmenter {
    /// Words that end in a period without ending a sentence (lowercased, without the final period).
    static let abbreviations: Set<String> = [
        "e.g", "i.e", "etc", "vs", "cf", "al", "approx", "ca", "dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st",
        "mt", "inc", "ltd", "co", "corp", "dept", "fig", "figs", "no", "nos", "vol", "vols", "p", "pp", "ch", "sec",
        "a.m", "p.m", "u.s", "u.k", "u.s.a", "ph.d", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
        "oct", "nov", "dec", "gen", "col", "lt", "sgt", "capt", "rev", "hon", "est", "govt", "min", "max", "misc",
    ]
    static let closers: Set<Unicode.Scalar> = ["\"", "'", "\u{201D}", "\u{2019}", ")", "]", "}", "\u{00BB}", "\u{300D}", "\u{300F}", "\u{FF09}"]
    static let cjkEnds: Set<Unicode.Scalar> = ["\u{3002}", "\u{FF01}", "\u{FF1F}", "\u{FF0E}"]

    /// The sentences of `text`, in order, trimmed of surrounding whitespace.
    public static func split(_ text: String) -> [Sentence] {
        let s = Array(text.unicodeScalars)
        var utf8Offset = [Int](repeating: 0, count: s.count + 1)
        for (i, scalar) in s.enumerated() { utf8Offset[i + 1] = utf8Offset[i] + UTF8.width(scalar) }
        var sentences: [Sentence] = []
        var start = 0
        func emit(_ end: Int) {
            var a = start, b = end
            while a < b, s[a].properties.isWhitespace { a += 1 }
            while b > a, s[b - 1].properties.isWhitespace { b -= 1 }
            if b > a {
                sentences.append(Sentence(text: String(String.UnicodeScalarView(s[a..<b])), utf8Range: utf8Offset[a]..<utf8Offset[b]))
            }
            start = end
        }
        var i = 0
        while i < s.count {
            let c = s[i]
            if cjkEnds.contains(c) {
                var j = i + 1
                while j < s.count, cjkEnds.contains(s[j]) || closers.contains(s[j]) { j += 1 }
                emit(j); i = j; continue
            }
            if c == "\n", lineBreakEndsSentence(s, at: i, start: start) {
                emit(i + 1); i += 1; continue
            }
            if c == "." || c == "!" || c == "?" || c == "\u{2026}" {
                var j = i + 1
                while j < s.count, [".", "!", "?", "\u{2026}"].contains(s[j]) { j += 1 }
                while j < s.count, closers.contains(s[j]) { j += 1 }
                if j == s.count || (s[j].properties.isWhitespace && endsSentence(s, markAt: i, markEnd: j)) {
                    emit(j)
                }
                i = j
                continue
            }
            i += 1
        }
        emit(s.count)
        return sentences
    }

    /// A newline ends a sentence before a blank line or a list item, or after a line that ends in an end mark.
    static func lineBreakEndsSentence(_ s: [Unicode.Scalar], at i: Int, start: Int) -> Bool {
        var j = i + 1
        while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
        if j >= s.count || s[j] == "\n" { return true }                        // blank line or end
        if isListItem(s, at: j) { return true }
        var k = i - 1
        while k >= start, s[k] == " " || s[k] == "\t" || s[k] == "\r" { k -= 1 }
        return k >= start && (s[k] == ":" || s[k] == ";")                     // "Options:" then a line
    }

    static func isListItem(_ s: [Unicode.Scalar], at j: Int) -> Bool {
        if ["-", "*", "\u{2022}"].contains(s[j]), j + 1 < s.count, s[j + 1] == " " { return true }
        var k = j
        while k < s.count, k - j < 3, ("0"..."9").contains(s[k]) || ("a"..."z").contains(s[k]) || ("A"..."Z").contains(s[k]) { k += 1 }
        guard k > j, k + 1 < s.count, s[k] == "." || s[k] == ")", s[k + 1] == " " else { return false }
        return k - j == 1 || s[j...k - 1].allSatisfy { ("0"..."9").contains($0) }
    }

    /// Whether the end mark at `i` (through `markEnd`, followed by whitespace) ends a sentence.
    static func endsSentence(_ s: [Unicode.Scalar], markAt i: Int, markEnd: Int) -> Bool {
        let mark = s[i]
        let next = nextNonSpace(s, from: markEnd)
        if mark == "!" || mark == "?" { return true }
        let isEllipsis = mark == "\u{2026}" || (markEnd - i >= 3 && s[i + 1] == "." && s[i + 2] == ".")
        if isEllipsis {
            // "... and then" continues; "... Then" starts anew
            guard let n = next else { return true }
            return n.properties.isUppercase || !n.properties.isAlphabetic
        }
        // the word before the period
        var w = i
        while w > 0, !s[w - 1].properties.isWhitespace, !["(", "[", "\"", "'"].contains(s[w - 1]) { w -= 1 }
        let word = String(String.UnicodeScalarView(s[w..<i])).lowercased()
        if abbreviations.contains(word) {
            // "etc." or "Inc." at the end of a sentence: a capitalized word after a sentence-final
            // abbreviation is ambiguous; keep the sentence going unless a new line follows
            return false
        }
        if w == 0 || s[w - 1] == "\n", word.count <= 3, word.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            return false                                                            // "1. Mix": a list number
        }
        if word.count == 1, let only = word.unicodeScalars.first, only.properties.isAlphabetic,
           s[w].properties.isUppercase { return false }                             // an initial: "J. K. Rowling"
        if let n = next, n.properties.isLowercase { return false }                  // "approx. three"
        return true
    }

    static func nextNonSpace(_ s: [Unicode.Scalar], from j: Int) -> Unicode.Scalar? {
        var k = j
        while k < s.count, s[k].properties.isWhitespace { k += 1 }
        return k < s.count ? s[k] : nil
    }
}
