// BytePairEncoding.swift: the BPE model: a vocabulary and ranked merges. A word's symbols (characters)
// are merged pair by pair, always the lowest-ranked pair first (leftmost on ties); symbols left outside
// the vocabulary become byte-fallback tokens <0xNN> or the unknown token. With ignore_merges a word that
// is itself in the vocabulary is one token. Results are cached per word; merging is O(n log n) in the word's length.
import Foundation

final class BytePairEncoding: @unchecked Sendable {
    struct Pair: Hashable { let left: Int32; let right: Int32 }

    /// token text -> id (scalar-exact: canonically equivalent tokens stay apart)
    let vocabulary: [ExactText: Int32]
    /// (left id, right id) -> (rank, merged id)
    let merges: [Pair: (rank: Int32, merged: Int32)]
    let byteFallback: Bool
    let unknownID: Int32?
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    /// byte value -> id of "<0xNN>" (byte fallback)
    private let byteTokens: [Int32?]
    private var cache: [ExactText: [Int32]] = [:]
    private let cacheLock = NSLock()
    /// The caches hold at most this many words of at most this many bytes (about 50 MB at worst): the
    /// words that repeat are short, and a stream of long unique words must not grow memory.
    static let cachedWords = 200_000
    static let cachedWordBytes = 64

    init(vocabulary: [ExactText: Int32], merges mergeList: [(String, String)], byteFallback: Bool = false,
         unknownToken: String? = nil, fuseUnknown: Bool = false, ignoreMerges: Bool = false, source: String) throws {
        self.vocabulary = vocabulary
        var merges: [Pair: (Int32, Int32)] = [:]
        for (rank, merge) in mergeList.enumerated() {
            guard let left = vocabulary[ExactText(merge.0)], let right = vocabulary[ExactText(merge.1)],
                  let merged = vocabulary[ExactText(merge.0 + merge.1)] else {
                throw LoadError.malformed(path: source, field: "merges[\(rank)]",
                                          reason: "'\(merge.0) \(merge.1)' names a token that is not in the vocabulary")
            }
            let pair = Pair(left: left, right: right)
            if merges[pair] == nil { merges[pair] = (Int32(rank), merged) }
        }
        self.merges = merges
        self.byteFallback = byteFallback
        unknownID = unknownToken.flatMap { vocabulary[ExactText($0)] }
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
        byteTokens = (0..<256).map { vocabulary[ExactText(String(format: "<0x%02X>", $0))] }
    }

    private var rawCache: [ExactText: [Int32]] = [:]

    /// Token ids of one word given as raw text, for byte-level vocabularies (mapped to the byte-level
    /// alphabet only on a cache miss).
    func encode(rawByteLevelWord word: String) -> [Int32] {
        let key = ExactText(word)
        if let hit = cacheLock.withLock({ rawCache[key] }) { return hit }
        let ids = encodeUncached(ByteLevelAlphabet.encode(word.utf8))
        if word.utf8.count <= Self.cachedWordBytes { cacheLock.withLock { if rawCache.count < Self.cachedWords { rawCache[key] = ids } } }
        return ids
    }

    /// Token ids of one word (already in the model's alphabet).
    func encode(word: String) -> [Int32] {
        let key = ExactText(word)
        if let hit = cacheLock.withLock({ cache[key] }) { return hit }
        let ids = encodeUncached(word)
        if word.utf8.count <= Self.cachedWordBytes { cacheLock.withLock { if cache.count < Self.cachedWords { cache[key] = ids } } }
        return ids
    }

    private func encodeUncached(_ word: String) -> [Int32] {
        if ignoreMerges, let whole = vocabulary[ExactText(word)] { return [whole] }
        // initial symbols: characters in the vocabulary, else their bytes (fallback) or unk
        var symbols: [Int32] = []
        var unknown = false
        for scalar in word.unicodeScalars {          // characters as Rust sees them: scalars, not graphemes
            let text = String(scalar)
            if let id = vocabulary[ExactText(text)] {
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

    /// A pair that may merge: symbols at `left` and `right` (positions in the word) with the ids they
    /// had when it was found; stale once either side has merged since.
    private struct Candidate: Comparable {
        let rank: Int32, left: Int, right: Int, leftID: Int32, rightID: Int32, merged: Int32
        /// max-heap order: the lowest rank first, then the leftmost
        static func < (a: Candidate, b: Candidate) -> Bool { a.rank > b.rank || (a.rank == b.rank && a.left > b.left) }
    }

    /// Applies merges, lowest rank first (leftmost on ties), over a linked list of symbols with a heap of
    /// candidate pairs: O(n log n) in the word length, so a megabyte-long word takes milliseconds.
    private func merge(_ initial: [Int32]) -> [Int32] {
        var ids = initial
        var next = Array(1...ids.count)           // next[i] == ids.count: the end
        var previous = Array(-1..<(ids.count - 1))
        var heap = BinaryHeap<Candidate>()
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right < ids.count, let m = merges[Pair(left: ids[left], right: ids[right])] else { return }
            heap.push(Candidate(rank: m.rank, left: left, right: right, leftID: ids[left], rightID: ids[right], merged: m.merged))
        }
        for i in 0..<(ids.count - 1) { consider(i, i + 1) }
        var removed = [Bool](repeating: false, count: ids.count)
        while let c = heap.pop() {
            guard !removed[c.left], !removed[c.right], next[c.left] == c.right,
                  ids[c.left] == c.leftID, ids[c.right] == c.rightID else { continue }
            ids[c.left] = c.merged
            removed[c.right] = true
            next[c.left] = next[c.right]
            if next[c.right] < ids.count { previous[next[c.right]] = c.left }
            consider(previous[c.left], c.left)
            consider(c.left, next[c.left])
        }
        return ids.indices.compactMap { removed[$0] ? nil : ids[$0] }
    }
}
