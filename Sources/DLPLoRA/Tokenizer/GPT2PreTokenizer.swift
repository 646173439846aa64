// GPT2PreTokenizer.swift: splits text into words the way GPT-2's regex does
// ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+), written as a scanner
// over Unicode scalars, with the optional Digits(individual_digits) split that SmolLM applies first.

struct GPT2PreTokenizer: Sendable {
    /// Split every digit into its own word before the regex (the "smollm" pre-tokenizer).
    var individualDigits: Bool

    private static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    private static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    private static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// The words of `text`, in order; their concatenation is `text`.
    func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        if individualDigits {
            var start = 0
            for i in scalars.indices where scalars[i].properties.generalCategory == .decimalNumber {
                if start < i { Self.regexSplit(scalars[start..<i], into: &words) }
                words.append(String(Character(scalars[i])))
                start = i + 1
            }
            if start < scalars.count { Self.regexSplit(scalars[start...], into: &words) }
        } else {
            Self.regexSplit(scalars[...], into: &words)
        }
        return words
    }

    private static func regexSplit(_ s: ArraySlice<Unicode.Scalar>, into words: inout [String]) {
        var i = s.startIndex
        let end = s.endIndex
        func emit(_ from: Int, _ to: Int) {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: s[from..<to])
            words.append(String(view))
        }
        func run(from j: Int, while predicate: (Unicode.Scalar) -> Bool) -> Int {
            var k = j
            while k < end, predicate(s[k]) { k += 1 }
            return k
        }
        while i < end {
            let c = s[i]
            // contractions
            if c == "'" , i + 1 < end {
                let rest = s[(i + 1)..<min(i + 3, end)].map { Character($0) }
                if rest.count >= 2, ["re", "ve", "ll"].contains(String(rest[0...1])) { emit(i, i + 3); i += 3; continue }
                if ["s", "t", "m", "d"].contains(String(rest[0])) { emit(i, i + 2); i += 2; continue }
            }
            let afterSpace = (c == " " && i + 1 < end) ? i + 1 : i
            let lead = s[afterSpace]
            if isLetter(lead) {
                let j = run(from: afterSpace, while: isLetter); emit(i, j); i = j; continue
            }
            if isNumber(lead) {
                let j = run(from: afterSpace, while: isNumber); emit(i, j); i = j; continue
            }
            if !isSpace(lead) {
                let j = run(from: afterSpace) { !isSpace($0) && !isLetter($0) && !isNumber($0) }
                emit(i, j); i = j; continue
            }
            // whitespace run: leave the last one to lead the next word when a non-space follows
            let j = run(from: i, while: isSpace)
            if j < end, j - i > 1 { emit(i, j - 1); i = j - 1 } else { emit(i, j); i = j }
        }
    }
}
