// AddedTokens.swift: the first stage of encoding: added and special tokens ("<|im_start|>") are found in
// the raw text (leftmost, longest on ties) and become their ids; the text between them goes through the
// rest of the pipeline. lstrip/rstrip tokens also take the whitespace beside them.

struct AddedToken: Sendable {
    let content: String
    let id: Int32
    /// Control tokens: matched only when the caller asks to parse special tokens.
    let special: Bool
    let lstrip: Bool
    let rstrip: Bool
}

/// One piece of text after splitting out added tokens.
enum TextFragment: Equatable {
    case text(String)
    case token(Int32)
}

struct AddedTokenMatcher: Sendable {
    private let byFirstScalar: [Unicode.Scalar: [(scalars: [Unicode.Scalar], token: AddedToken)]]

    init(_ tokens: [AddedToken]) {
        var index: [Unicode.Scalar: [(scalars: [Unicode.Scalar], token: AddedToken)]] = [:]
        for token in tokens {
            let scalars = Array(token.content.unicodeScalars)
            guard let first = scalars.first else { continue }
            index[first, default: []].append((scalars, token))
        }
        byFirstScalar = index.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
    }

    var isEmpty: Bool { byFirstScalar.isEmpty }

    /// A piece of a scalar array after splitting out added tokens.
    enum RangeFragment { case range(Range<Int>), token(Int32) }

    /// Splits `text`; control tokens count only when `parseSpecial`.
    func split(_ text: String, parseSpecial: Bool) -> [TextFragment] {
        let s = Array(text.unicodeScalars)
        return splitRanges(s, parseSpecial: parseSpecial).map {
            switch $0 {
            case let .range(r): return .text(String(String.UnicodeScalarView(s[r])))
            case let .token(id): return .token(id)
            }
        }
    }

    /// Splits the scalars `s` into text ranges and added tokens.
    func splitRanges(_ s: [Unicode.Scalar], parseSpecial: Bool) -> [RangeFragment] {
        guard !byFirstScalar.isEmpty else { return s.isEmpty ? [] : [.range(0..<s.count)] }
        var fragments: [RangeFragment] = []
        var textStart = 0
        var i = 0
        func emitText(_ end: Int) {
            if end > textStart { fragments.append(.range(textStart..<end)) }
        }
        while i < s.count {
            guard let candidates = byFirstScalar[s[i]],
                  let hit = candidates.first(where: { (parseSpecial || !$0.token.special) && i + $0.scalars.count <= s.count
                      && s[i..<(i + $0.scalars.count)].elementsEqual($0.scalars) }) else {
                i += 1
                continue
            }
            var textEnd = i
            if hit.token.lstrip { while textEnd > textStart, UnicodeClasses.isSpace(s[textEnd - 1]) { textEnd -= 1 } }
            emitText(textEnd)
            fragments.append(.token(hit.token.id))
            i += hit.scalars.count
            if hit.token.rstrip { while i < s.count, UnicodeClasses.isSpace(s[i]) { i += 1 } }
            textStart = i
        }
        emitText(s.count)
        return fragments
    }
}
