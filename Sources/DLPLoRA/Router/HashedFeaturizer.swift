// HashedFeaturizer.swift: turns text into hashed feature ids without any vocabulary, so any language
// works: lowercased words, word bigrams, character n-grams of the whitespace-collapsed text, and the
// classes of its scalars (general category and 128-scalar block, per run: emoji, a script, digits or
// brackets are recognized even when every character is new), each hashed (FNV-1a, salted per kind) into
// a fixed number of buckets (the hashing loop is C, in CKernels).
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
    /// Use scalar-class features (routers saved before they existed load with false).
    public var scalarClasses: Bool

    enum CodingKeys: String, CodingKey {
        case buckets, charNgramMin = "char_ngram_min", charNgramMax = "char_ngram_max"
        case wordBigrams = "word_bigrams", maxCharacters = "max_characters", scalarClasses = "scalar_classes"
    }

    public init(buckets: Int = 1 << 16, charNgramMin: Int = 3, charNgramMax: Int = 5, wordBigrams: Bool = true, maxCharacters: Int = 1000,
                scalarClasses: Bool = true) {
        self.buckets = buckets
        self.charNgramMin = charNgramMin
        self.charNgramMax = charNgramMax
        self.wordBigrams = wordBigrams
        self.maxCharacters = maxCharacters
        self.scalarClasses = scalarClasses
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        buckets = try c.decode(Int.self, forKey: .buckets)
        charNgramMin = try c.decode(Int.self, forKey: .charNgramMin)
        charNgramMax = try c.decode(Int.self, forKey: .charNgramMax)
        wordBigrams = try c.decode(Bool.self, forKey: .wordBigrams)
        maxCharacters = try c.decode(Int.self, forKey: .maxCharacters)
        scalarClasses = try c.decodeIfPresent(Bool.self, forKey: .scalarClasses) ?? false
    }

    /// Limits that keep the hashing loop and its output bounded (checked when a router is trained or loaded).
    public static let maximumBuckets = 1 << 24
    public static let maximumNgram = 16
    public static let maximumCharacters = 100_000

    /// Why these settings cannot be used, or nil.
    public var problem: String? {
        guard (1...Self.maximumBuckets).contains(buckets) else { return "buckets \(buckets): give 1 to \(Self.maximumBuckets)" }
        guard charNgramMin >= 1, charNgramMin <= charNgramMax, charNgramMax <= Self.maximumNgram else {
            return "character n-grams \(charNgramMin)...\(charNgramMax): give 1 <= min <= max <= \(Self.maximumNgram)"
        }
        guard (1...Self.maximumCharacters).contains(maxCharacters) else { return "max_characters \(maxCharacters): give 1 to \(Self.maximumCharacters)" }
        return nil
    }
}

struct HashedFeaturizer: Sendable {
    let settings: FeaturizerSettings

    /// Bucket ids of the features of `text` (a multiset: repeated features repeat).
    func features(_ text: String) -> [Int32] {
        // normalize: lowercase, collapse whitespace to single spaces, a space at each end
        var scalars: [UInt32] = [32]
        var wordChar: [UInt8] = [0]
        var classes: [UInt32] = [0]
        var lastWasSpace = true
        for scalar in text.lowercased().unicodeScalars {
            if scalars.count > settings.maxCharacters { break }
            let space = scalar.properties.isWhitespace
            if space && lastWasSpace { continue }
            scalars.append(space ? 32 : scalar.value)
            wordChar.append(!space && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil) ? 1 : 0)
            if settings.scalarClasses { classes.append(space ? 0 : Self.scalarClass(scalar)) }
            lastWasSpace = space
        }
        if !lastWasSpace {
            scalars.append(32)
            wordChar.append(0)
            if settings.scalarClasses { classes.append(0) }
        }
        let grams = max(0, settings.charNgramMax - settings.charNgramMin + 1)
        let capacity = scalars.count * (grams + 5) + 2
        var out = [Int32](repeating: 0, count: capacity)
        let written = out.withUnsafeMutableBufferPointer { o in
            dlp_host_hash_features(scalars, wordChar, settings.scalarClasses ? classes : nil, Int64(scalars.count),
                                   Int32(clamping: settings.charNgramMin), Int32(clamping: settings.charNgramMax),
                                   settings.wordBigrams ? 1 : 0, UInt64(max(settings.buckets, 1)), o.baseAddress, Int64(capacity))
        }
        out.removeSubrange(Int(written)...)
        return out
    }

    /// (general category + 1) << 16 | (scalar >> 7): the kind of character and the 128-scalar block it is
    /// in (a script, or a range of symbols or emoji).
    static func scalarClass(_ scalar: Unicode.Scalar) -> UInt32 {
        let category = UInt32(Self.categoryIndex[scalar.properties.generalCategory] ?? 0)
        return (category + 1) << 16 | (scalar.value >> 7)
    }

    private static let categoryIndex: [Unicode.GeneralCategory: Int] = {
        let all: [Unicode.GeneralCategory] = [
            .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark, .spacingMark,
            .enclosingMark, .decimalNumber, .letterNumber, .otherNumber, .connectorPunctuation, .dashPunctuation, .openPunctuation,
            .closePunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol,
            .modifierSymbol, .otherSymbol, .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format, .surrogate,
            .privateUse, .unassigned,
        ]
        return Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })
    }()
}
