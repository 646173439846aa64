// SplitPatterns.swift: the regexes that split text into words. The patterns every common tokenizer uses
// (GPT-2's, Llama-3's, Qwen2's, Qwen3.5's, single digits, runs of up to three digits) are hand-written
// scanners, exact to the regex and fast; any other pattern runs on ICU (NSRegularExpression) under a time
// budget, so a pattern that backtracks catastrophically is an error instead of a hang.
import Foundation

/// Finds the matches of one pattern in a run of scalars.
protocol SplitMatcher: Sendable {
    /// The end of a match that starts at `i` (non-empty), or nil when none starts there.
    func match(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int?
}

/// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
struct GPT2Matcher: SplitMatcher {
    func match(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int? {
        let c = s[i]
        if c == "'", i + 1 < end {
            let n1 = s[i + 1]
            if i + 2 < end {
                let n2 = s[i + 2]
                if (n1 == "r" && n2 == "e") || (n1 == "v" && n2 == "e") || (n1 == "l" && n2 == "l") { return i + 3 }
            }
            if n1 == "s" || n1 == "t" || n1 == "m" || n1 == "d" { return i + 2 }
        }
        let k = (c == " " && i + 1 < end) ? i + 1 : i
        let lead = s[k]
        if UnicodeClasses.isLetter(lead) { return runEnd(s, k, end, UnicodeClasses.isLetter) }
        if UnicodeClasses.isNumber(lead) { return runEnd(s, k, end, UnicodeClasses.isNumber) }
        if !UnicodeClasses.isSpace(lead) {
            return runEnd(s, k, end) { !UnicodeClasses.isSpace($0) && !UnicodeClasses.isLetter($0) && !UnicodeClasses.isNumber($0) }
        }
        let j = runEnd(s, i, end, UnicodeClasses.isSpace)
        if j == end || j - i == 1 { return j }       // \s+(?!\S) at the end, or the fallback \s+
        return j - 1                                 // leave the last space to lead the next word
    }
}

/// Llama-3 style: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
/// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ ; Qwen2 has maxDigits 1; Qwen3.5 counts marks as letters.
struct Llama3Matcher: SplitMatcher {
    let maxDigits: Int
    let marksAreLetters: Bool

    @inline(__always) private func isWordChar(_ s: Unicode.Scalar) -> Bool {
        UnicodeClasses.isLetter(s) || (marksAreLetters && UnicodeClasses.isMark(s))
    }

    func match(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int? {
        let c = s[i]
        if c == "'", i + 1 < end {
            let n1 = lower(s[i + 1])
            if i + 2 < end {
                let n2 = lower(s[i + 2])
                if (n1 == "r" && n2 == "e") || (n1 == "v" && n2 == "e") || (n1 == "l" && n2 == "l") { return i + 3 }
            }
            if n1 == "s" || n1 == "t" || n1 == "m" || n1 == "d" { return i + 2 }
        }
        if isWordChar(c) { return runEnd(s, i, end, isWordChar) }
        if !UnicodeClasses.isNewline(c), !UnicodeClasses.isLetter(c), !UnicodeClasses.isNumber(c), i + 1 < end, isWordChar(s[i + 1]) {
            return runEnd(s, i + 1, end, isWordChar)
        }
        if UnicodeClasses.isNumber(c) {
            var j = i
            while j < end, j - i < maxDigits, UnicodeClasses.isNumber(s[j]) { j += 1 }
            return j
        }
        let k = (c == " " && i + 1 < end) ? i + 1 : i
        let isOther: (Unicode.Scalar) -> Bool = { ch in
            !UnicodeClasses.isSpace(ch) && !UnicodeClasses.isLetter(ch) && !UnicodeClasses.isNumber(ch)
                && !(self.marksAreLetters && UnicodeClasses.isMark(ch))
        }
        if isOther(s[k]) {
            var j = runEnd(s, k, end, isOther)
            while j < end, UnicodeClasses.isNewline(s[j]) { j += 1 }
            return j
        }
        guard UnicodeClasses.isSpace(c) else { return nil }
        let j = runEnd(s, i, end, UnicodeClasses.isSpace)
        var lastNewline = -1
        for p in i..<j where UnicodeClasses.isNewline(s[p]) { lastNewline = p }
        if lastNewline >= 0 { return lastNewline + 1 }          // \s*[\r\n]+
        if j == end || j - i == 1 { return j }                   // \s+(?!\S) at the end, or \s+
        return j - 1
    }

    @inline(__always) private func lower(_ s: Unicode.Scalar) -> Unicode.Scalar {
        s.value >= 65 && s.value <= 90 ? Unicode.Scalar(s.value + 32)! : s
    }
}

/// \p{N}{1,maxDigits}
struct DigitsMatcher: SplitMatcher {
    let maxDigits: Int
    func match(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int? {
        guard UnicodeClasses.isNumber(s[i]) else { return nil }
        var j = i
        while j < end, j - i < maxDigits, UnicodeClasses.isNumber(s[j]) { j += 1 }
        return j
    }
}

@inline(__always) func runEnd(_ s: [Unicode.Scalar], _ from: Int, _ end: Int, _ predicate: (Unicode.Scalar) -> Bool) -> Int {
    var j = from
    while j < end, predicate(s[j]) { j += 1 }
    return j
}

/// How a Split pre-tokenizer treats its matches (tokenizers' SplitDelimiterBehavior).
enum SplitBehavior: String, Sendable {
    case isolated = "Isolated", removed = "Removed", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// Splits words at the matches of one pattern.
struct PatternSplitter: Sendable {
    enum Engine: @unchecked Sendable {
        case scanner(SplitMatcher)
        case icu(NSRegularExpression)
    }

    let engine: Engine
    let behavior: SplitBehavior
    let invert: Bool

    /// Known patterns, as tokenizer.json and llama.cpp write them, get scanners.
    static func engine(forPattern pattern: String) throws -> Engine {
        let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
        let llamaTail = #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let hfContractions = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)"#
        let cppContractions = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"#
        let qwenTail = llamaTail.replacingOccurrences(of: #"\p{N}{1,3}"#, with: #"\p{N}"#)
        let qwen35Tail = #"|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        switch pattern {
        case gpt2, gpt2 + #"|\s+"#: return .scanner(GPT2Matcher())
        case hfContractions + llamaTail, cppContractions + llamaTail: return .scanner(Llama3Matcher(maxDigits: 3, marksAreLetters: false))
        case hfContractions + qwenTail, cppContractions + qwenTail: return .scanner(Llama3Matcher(maxDigits: 1, marksAreLetters: false))
        case hfContractions + qwen35Tail, cppContractions + qwen35Tail: return .scanner(Llama3Matcher(maxDigits: 1, marksAreLetters: true))
        case #"\p{N}"#: return .scanner(DigitsMatcher(maxDigits: 1))
        case #"\p{N}{1,3}"#: return .scanner(DigitsMatcher(maxDigits: 3))
        default:
            do { return .icu(try NSRegularExpression(pattern: pattern)) } catch {
                throw TokenizerError.invalidPattern(pattern)
            }
        }
    }

    /// Ranges of the matches in s[range].
    func matches(_ s: [Unicode.Scalar], in range: Range<Int>, into out: inout [Range<Int>]) throws {
        switch engine {
        case let .scanner(matcher):
            var i = range.lowerBound
            let end = range.upperBound
            while i < end {
                if let j = matcher.match(s, at: i, end: end) { out.append(i..<j); i = j } else { i += 1 }
            }
        case let .icu(regex):
            let piece = s[range]
            let text = String(String.UnicodeScalarView(piece))
            // map UTF-16 offsets back to scalar offsets
            var scalarAtUTF16: [Int] = []
            scalarAtUTF16.reserveCapacity(text.utf16.count + 1)
            for (index, scalar) in zip(range, piece) {
                for _ in 0..<(scalar.value > 0xFFFF ? 2 : 1) { scalarAtUTF16.append(index) }
            }
            scalarAtUTF16.append(range.upperBound)
            guard let found = regex.boundedMatches(in: text) else { throw TokenizerError.patternTooSlow(regex.pattern, scalars: piece.count) }
            for r in found where r.length > 0 { out.append(scalarAtUTF16[r.location]..<scalarAtUTF16[r.location + r.length]) }
        }
    }

    /// Appends the pieces of s[range], by `behavior`, to `pieces`.
    func split(_ s: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [Range<Int>]) throws {
        guard !range.isEmpty else { return }
        var found: [Range<Int>] = []
        try matches(s, in: range, into: &found)
        if behavior == .isolated, !invert {            // the common case, without the span list
            var last = range.lowerBound
            for r in found {
                if r.lowerBound > last { pieces.append(last..<r.lowerBound) }
                pieces.append(r)
                last = r.upperBound
            }
            if last < range.upperBound { pieces.append(last..<range.upperBound) }
            return
        }
        // (range, isMatch) covering the whole range
        var spans: [(Range<Int>, Bool)] = []
        var last = range.lowerBound
        for r in found {
            if r.lowerBound > last { spans.append((last..<r.lowerBound, false)) }
            spans.append((r, true))
            last = r.upperBound
        }
        if last < range.upperBound { spans.append((last..<range.upperBound, false)) }
        if invert { spans = spans.map { ($0.0, !$0.1) } }
        let first = pieces.count
        switch behavior {
        case .isolated:
            pieces += spans.map(\.0)
        case .removed:
            pieces += spans.filter { !$0.1 }.map(\.0)
        case .mergedWithPrevious:
            for (r, isMatch) in spans {
                if isMatch, pieces.count > first, let previous = pieces.last, previous.upperBound == r.lowerBound {
                    pieces[pieces.count - 1] = previous.lowerBound..<r.upperBound
                } else { pieces.append(r) }
            }
        case .mergedWithNext:
            var pendingStart: Int?
            for (r, isMatch) in spans {
                if isMatch { pendingStart = pendingStart ?? r.lowerBound; continue }
                pieces.append((pendingStart ?? r.lowerBound)..<r.upperBound)
                pendingStart = nil
            }
            if let start = pendingStart { pieces.append(start..<range.upperBound) }
        case .contiguous:
            var lastWasMatch = false
            for (r, isMatch) in spans {
                if isMatch, lastWasMatch, pieces.count > first, let previous = pieces.last {
                    pieces[pieces.count - 1] = previous.lowerBound..<r.upperBound
                } else { pieces.append(r) }
                lastWasMatch = isMatch
            }
        }
    }

    /// The pieces of one word, by `behavior`.
    func split(_ word: String) throws -> [String] {
        let s = Array(word.unicodeScalars)
        var pieces: [Range<Int>] = []
        try split(s, 0..<s.count, into: &pieces)
        return pieces.filter { !$0.isEmpty }.map { String(String.UnicodeScalarView(s[$0])) }
    }
}
