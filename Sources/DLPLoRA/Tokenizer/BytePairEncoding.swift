// BytePairEncoding.swift: the BPE model: a vocabulary and ranked merges; a word (already in the byte-level
// alphabet) becomes tokens by repeatedly merging the adjacent pair of lowest rank. Words are cached.

final class BytePairEncoding: @unchecked Sendable {
    struct Pair: Hashable { let left: String; let right: String }

    let vocabulary: [String: Int32]
    let ranks: [Pair: Int]
    private var cache: [String: [Int32]] = [:]

    init(vocabulary: [String: Int32], merges: [(String, String)], source: String) throws {
        self.vocabulary = vocabulary
        var ranks: [Pair: Int] = [:]
        for (rank, merge) in merges.enumerated() {
            guard vocabulary[merge.0] != nil, vocabulary[merge.1] != nil, vocabulary[merge.0 + merge.1] != nil else {
                throw LoadError.malformed(path: source, field: "merges[\(rank)]",
                                          reason: "'\(merge.0) \(merge.1)' names a token that is not in the vocabulary")
            }
            if ranks[Pair(left: merge.0, right: merge.1)] == nil { ranks[Pair(left: merge.0, right: merge.1)] = rank }
        }
        self.ranks = ranks
    }

    /// Token ids of one word; nil when some symbol is not in the vocabulary.
    func encode(word: String) -> [Int32]? {
        if let hit = cache[word] { return hit }
        if let whole = vocabulary[word], word.unicodeScalars.count == 1 { return [whole] }
        var symbols = word.unicodeScalars.map { String($0) }
        while symbols.count > 1 {
            var best = -1, bestRank = Int.max
            for i in 0..<(symbols.count - 1) {
                if let r = ranks[Pair(left: symbols[i], right: symbols[i + 1])], r < bestRank { bestRank = r; best = i }
            }
            guard best >= 0 else { break }
            symbols[best] += symbols[best + 1]
            symbols.remove(at: best + 1)
        }
        var ids: [Int32] = []
        for s in symbols {
            guard let id = vocabulary[s] else { return nil }
            ids.append(id)
        }
        if cache.count < 100_000 { cache[word] = ids }
        return ids
    }
}
