// UnicodeClasses.swift: the character classes the pre-tokenizer patterns use (\p{L}, \p{N}, \p{M},
// \p{P}, \s), with an ASCII table in front of the Unicode property lookups, since most text is ASCII.

enum UnicodeClasses {
    private static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4, punctuation: UInt8 = 8
    private static let ascii: [UInt8] = (0..<128).map { v -> UInt8 in
        let s = Unicode.Scalar(UInt8(v))
        var flags: UInt8 = 0
        if (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") { flags |= letter }
        if s >= "0" && s <= "9" { flags |= number }
        if [9, 10, 11, 12, 13, 32].contains(v) { flags |= space }
        if "!\"#%&'()*,-./:;?@[\\]_{}".unicodeScalars.contains(s) { flags |= punctuation }
        return flags
    }

    @inline(__always) static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & letter != 0 }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always) static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & number != 0 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always) static func isMark(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return false }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// \s: the Unicode White_Space property.
    @inline(__always) static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & space != 0 }
        return s.properties.isWhitespace
    }

    /// \p{P}: punctuation.
    @inline(__always) static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & punctuation != 0 }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    @inline(__always) static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\n" || s == "\r" }
}
