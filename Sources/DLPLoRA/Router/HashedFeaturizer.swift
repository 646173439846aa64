// HashedFeaturizer.swift: turns text into hashed feature ids without any vocabulary, so any language
// works: lowercased words, word bigrams, and character n-grams of the whitespace-collapsed text, each
// hashed (FNV-1a, salted per kind) into a fixed number of buckets (the hashing loop is C, in CKernels).
import CKernels

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
        // normalize: lowercase, collapse whitespace to single spaces, a space at each end
        var scalars: [UInt32] = [32]
        var wordChar: [UInt8] = [0]
        var lastWasSpace = true
        for scalar in text.lowercased().unicodeScalars {
            if scalars.count > settings.maxCharacters { break }
            let space = scalar.properties.isWhitespace
            if space && lastWasSpace { continue }
            scalars.append(space ? 32 : scalar.value)
            wordChar.append(!space && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil) ? 1 : 0)
            lastWasSpace = space
        }
        if !lastWasSpace { scalars.append(32); wordChar.append(0) }
        let grams = max(0, settings.charNgramMax - settings.charNgramMin + 1)
        let capacity = scalars.count * (grams + 2) + 2
        var out = [Int32](repeating: 0, count: capacity)
        let written = out.withUnsafeMutableBufferPointer { o in
            dlp_host_hash_features(scalars, wordChar, Int64(scalars.count), Int32(settings.charNgramMin), Int32(settings.charNgramMax),
                                   settings.wordBigrams ? 1 : 0, UInt64(settings.buckets), o.baseAddress, Int64(capacity))
        }
        out.removeSubrange(Int(written)...)
        return out
    }
}
