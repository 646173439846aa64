// HashedFeaturizer.swift: turns text into hashed feature ids without any vocabulary, so any language
// works: lowercased words, word bigrams, and character n-grams of the whitespace-collapsed text, each
// hashed (FNV-1a, salted per kind) into a fixed number of buckets.

/// Settings of the featurizer (saved in the router file).
public struct FeaturizerSettings: Codable, Sendable, Equatable {
    /// Number of hash buckets (rows of the embedding table).
    public var buckets: Int
    /// Character n-gram lengths, e.g. 3...5.
    public var charNgramMin: Int
    public var charNgramMax: Int
    /// Use word bigrams as well as words.
    public var wordBigrams: Bool
    /// Characters of text looked at (longer text is cut, keeping its start).
    public var maxCharacters: Int

    enum CodingKeys: String, CodingKey {
        case buckets, charNgramMin = "char_ngram_min", charNgramMax = "char_ngram_max"
        case wordBigrams = "word_bigrams", maxCharacters = "max_characters"
    }

    public init(buckets: Int = 1 << 16, charNgramMin: Int = 3, charNgramMax: Int = 5, wordBigrams: Bool = true, maxCharacters: Int = 1000) {
        self.buckets = buckets
        self.charNgramMin = charNgramMin
        self.charNgramMax = charNgramMax
        self.wordBigrams = wordBigrams
        self.maxCharacters = maxCharacters
    }
}

struct HashedFeaturizer: Sendable {
    let settings: FeaturizerSettings

    /// Bucket ids of the features of `text` (a multiset: repeated features repeat).
    func features(_ text: String) -> [Int32] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(min(text.unicodeScalars.count, settings.maxCharacters) + 2)
        scalars.append(" ")
        var lastWasSpace = true
        for scalar in text.lowercased().unicodeScalars {
            if scalars.count > settings.maxCharacters { break }
            let space = scalar.properties.isWhitespace
            if space && lastWasSpace { continue }
            scalars.append(space ? " " : scalar)
            lastWasSpace = space
        }
        if !lastWasSpace { scalars.append(" ") }
        var out: [Int32] = []
        out.reserveCapacity(scalars.count * (settings.charNgramMax - settings.charNgramMin + 2))
        let buckets = UInt64(settings.buckets)
        // character n-grams
        for n in settings.charNgramMin...max(settings.charNgramMin, settings.charNgramMax) where scalars.count >= n {
            for start in 0...(scalars.count - n) {
                var h = Self.fnvBasis ^ UInt64(n)
                for k in start..<(start + n) { h = Self.mix(h, scalars[k].value) }
                out.append(Int32(truncatingIfNeeded: h % buckets))
            }
        }
        // words and bigrams: runs of letters and digits
        var previous: UInt64?
        var h: UInt64 = 0
        var inWord = false
        func endWord() {
            guard inWord else { return }
            let word = Self.mix(h, 0x57)                       // salt "W"
            out.append(Int32(truncatingIfNeeded: word % buckets))
            if settings.wordBigrams, let p = previous {
                out.append(Int32(truncatingIfNeeded: Self.mix(Self.mix(p, 0x42), UInt32(truncatingIfNeeded: word)) % buckets))
            }
            previous = word
            inWord = false
        }
        for scalar in scalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if !inWord { h = Self.fnvBasis; inWord = true }
                h = Self.mix(h, scalar.value)
            } else {
                endWord()
            }
        }
        endWord()
        return out
    }

    static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always) static func mix(_ h: UInt64, _ value: UInt32) -> UInt64 {
        var x = h
        var v = value
        for _ in 0..<4 {
            x ^= UInt64(v & 0xFF)
            x &*= 0x0000_0100_0000_01B3
            v >>= 8
        }
        return x
    }
}
