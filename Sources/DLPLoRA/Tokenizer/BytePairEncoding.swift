// BytePairEncoding.swift: the BPE model: a vocabulary and ranked merges. A word's symbols (characters)
// are merged pair by pair, always the lowest-ranked pair first (leftmost on ties); symbols left outside
// the vocabulary become byte-fallback tokens <0xNN> or the unknown token. With ignore_merges a word that
// is itself in the vocabulary is one token. Results are cached per word.
import Foundation

final class BytePairEncoding: @unchecked Sendable {
    struct Pair: Hashable { let left: Int32; let right: Int32 }

    let vocabulary: [String: Int32]
    /// (left id, right id) -> (rank, merged id)
    let merges: [Pair: (rank: Int32, merged: Int32)]
    let byteFallback: Bool
    let unknownID: Int32?
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    /// byte value -> id of "<0xNN>" (byte fallback)
    private let byteTokens: [Int32?]
    private var cache: [String: [Int32]] = [:]
    private let cacheLock = NSLock()

    init(vocabulary: [String: Int32], merges mergeList: [(String, String)], byteFallback: Bool = false,
         unknownToken: String? = nil, fuseUnknown: Bool = false, ignoreMerges: Bool = false, source: String) throws {
        self.vocabulary = vocabulary
        var merges: [Pair: (Int32, Int32)] = [:]
        for (rank, merge) in mergeList.enumerated() {
            guard let left = vocabulary[merge.0], let right = vocabulary[merge.1], let merged = vocabulary[merge.0 + merge.1] else {
                throw LoadError.malformed(path: source, field: "merges[\(rank)]",
                                          reason: "'\(merge.0) \(merge.1)' names a token that is not in the vocabulary")
            }
            let pair = Pair(left: left, right: right)
            if merges[pair] == nil { merges[pair] = (Int32(rank), merged) }
        }
        self.merges = merges
        self.byteFallback = byteFallback
        unknownID = unknownToken.flatMap { vocabulary[$0] }
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
        byteTokens = (0..<256).map { vocabulary[String(format: "<0x%02X>", $0)] }
    }

    private var rawCache: [String: [Int32]] = [:]

    /// Token ids of one word given as raw text, for byte-level vocabularies (mapped to the byte-level
    /// alphabet only on a cache miss).
    func encode(rawByteLevelWord word: String) -> [Int32] {
        if let hit = cacheLock.withLock({ rawCache[word] }) { return hit }
        let ids = encodeUncached(ByteLevelAlphabet.encode(word.utf8))
        cacheLock.withLock { if rawCache.count < 200_000 { rawCache[word] = ids } }
        return ids
    }

    /// Token ids of one word (already in the model's alphabet).
    func encode(word: String) -> [Int32] {
        if let hit = cacheLock.withLock({ cache[word] }) { return hit }
        let ids = encodeUncached(word)
        cacheLock.withLock { if cache.count < 200_000 { cache[word] = ids } }
        return ids
    }

    private func encodeUncached(_ word: String) -> [Int32] {
        if ignoreMerges, let whole = vocabulary[word] { return [whole] }
        // initial symbols: characters in the vocabulary, else their bytes (fallback) or unk
        var symbols: [Int32] = []
        var unknown = false
        for scalar in word.unicodeScalars {          // characters as Rust sees them: scalars, not graphemes
            let text = String(scalar)
            if let id = vocabulary[text] {
                symbols.append(id)
                unknown = false
            } else if byteFallback, case let ids = text.utf8.compactMap({ byteTokens[Int($0)] }), ids.count == text.utf8.count {
                symbols.append(contentsOf: ids)
                unknown = false
            } else if let unk = unknownID {
                if !(fuseUnknown && unknown) { symbols.append(unk) }
                unknown = true
            }
        }
        return symbols.count > 1 ? merge(symbols) : symbols
    }

    /// Applies merges, lowest rank first (a linked list; O(n^2) in the word length, fine for words).
    private func merge(_ initial: [Int32]) -> [Int32] {
        var symbols = initial
        while symbols.count > 1 {
            var bestRank = Int32.max, bestIndex = -1, bestMerged: Int32 = 0
            for i in 0..<(symbols.count - 1) {
                if let m = merges[Pair(left: symbols[i], right: symbols[i + 1])], m.rank < bestRank {
                    bestRank = m.rank; bestIndex = i; bestMerged = m.merged
                }
            }
            guard bestIndex >= 0 else { break }
            symbols[bestIndex] = bestMerged
            symbols.remove(at: bestIndex + 1)
        }
        return symbols
    }
}
