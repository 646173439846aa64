// ExactText.swift: text compared as Python and Rust compare it, by Unicode scalars. Swift's String
// equality, hashing, hasPrefix and Foundation's replacingOccurrences follow canonical equivalence and
// grapheme clusters ("é" precomposed equals "e" + U+0301; " " + U+0301 is one Character that is not " "),
// which silently merges distinct vocabulary entries and misses spaces before combining marks. Every
// tokenizer and template lookup and rewrite goes through these instead.
import Foundation

/// Whether two strings hold the same Unicode scalars (UTF-8 is one-to-one with scalars).
func sameScalars(_ a: String, _ b: String) -> Bool {
    let n = a.utf8.count
    guard n == b.utf8.count else { return false }
    let same = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in n == 0 || memcmp(x.baseAddress!, y.baseAddress!, n) == 0 }
    }
    return (same ?? nil) ?? a.utf8.elementsEqual(b.utf8)
}

/// A string as a dictionary or set key with scalar equality (vocabularies, merges, caches, indexes).
struct ExactText: Hashable, Sendable, ExpressibleByStringLiteral {
    let text: String
    init(_ text: String) { self.text = text }
    init(stringLiteral value: String) { text = value }
    static func == (a: ExactText, b: ExactText) -> Bool { sameScalars(a.text, b.text) }
    func hash(into hasher: inout Hasher) {
        if let done: Void = text.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        for byte in text.utf8 { hasher.combine(byte) }
    }
}

extension String {
    /// Whether the text starts with `prefix`'s scalars (a combining mark after the prefix does not matter).
    func hasScalarPrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// Every non-overlapping occurrence of `target`'s scalars replaced, left to right.
    func replacingScalars(_ target: String, with replacement: String) -> String {
        let t = Array(target.utf8)
        guard !t.isEmpty else { return self }
        let s = Array(utf8)
        guard s.count >= t.count else { return self }
        let r = Array(replacement.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        let first = t[0]
        while i < s.count {
            if s[i] == first, i + t.count <= s.count, s[i..<(i + t.count)].elementsEqual(t) {
                out += r
                i += t.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        // UTF-8 matches of whole scalar sequences never split a scalar, so the result is valid UTF-8
        return String(decoding: out, as: UTF8.self)
    }
}
