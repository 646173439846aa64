// SentencePieceModel.swift: the SentencePiece BPE of GGUF "llama" vocabularies (token scores instead of
// merges), as llama.cpp runs it: start from UTF-8 characters, repeatedly join the adjacent pair whose
// joined text is a token with the highest score (leftmost on ties), then spell any piece that is not a
// token through the joins that made it, or as <0xNN> byte tokens.

final class SentencePieceModel: @unchecked Sendable {
    /// token text -> first id with that text (scalar-exact: canonically equivalent tokens stay apart)
    let vocabulary: [ExactText: Int32]
    let scores: [Float]
    private let byteTokens: [Int32?]
    let unknownID: Int32

    init(tokens: [String], scores: [Float], unknownID: Int32) {
        var vocabulary: [ExactText: Int32] = [:]
        for (i, t) in tokens.enumerated() where vocabulary[ExactText(t)] == nil { vocabulary[ExactText(t)] = Int32(i) }
        self.vocabulary = vocabulary
        self.scores = scores
        self.unknownID = unknownID
        byteTokens = (0..<256).map { vocabulary[ExactText(String(format: "<0x%02X>", $0))] }
    }

    private struct Symbol { var start: Int; var length: Int; var previous: Int; var next: Int }
    private struct Bigram: Comparable {
        let left: Int, right: Int, score: Float, size: Int
        static func < (a: Bigram, b: Bigram) -> Bool { a.score < b.score || (a.score == b.score && a.left > b.left) }
    }

    /// Ids of `text` (already escaped: spaces are "▁").
    func encode(_ text: String) -> [Int32] {
        let bytes = Array(text.utf8)
        var symbols: [Symbol] = []
        var offset = 0
        while offset < bytes.count {
            let length = min(Self.utf8Length(bytes[offset]), bytes.count - offset)
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1, next: offset + length == bytes.count ? -1 : symbols.count + 1))
            offset += length
        }
        var heap = BinaryHeap<Bigram>()
        var reverseMerge: [ExactText: (Int, Int)] = [:]
        func piece(_ start: Int, _ length: Int) -> ExactText { ExactText(String(decoding: bytes[start..<(start + length)], as: UTF8.self)) }
        func addBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let joined = piece(symbols[left].start, symbols[left].length + symbols[right].length)
            guard let id = vocabulary[joined], Int(id) < scores.count else { return }
            heap.push(Bigram(left: left, right: right, score: scores[Int(id)], size: joined.text.utf8.count))
            reverseMerge[joined] = (left, right)
        }
        for i in symbols.indices.dropFirst() { addBigram(i - 1, i) }
        while let bigram = heap.pop() {
            let left = symbols[bigram.left], right = symbols[bigram.right]
            guard left.length > 0, right.length > 0, left.length + right.length == bigram.size else { continue }
            symbols[bigram.left].length += right.length
            symbols[bigram.right].length = 0
            symbols[bigram.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = bigram.left }
            addBigram(symbols[bigram.left].previous, bigram.left)
            addBigram(bigram.left, symbols[bigram.left].next)
        }
        var output: [Int32] = []
        func resegment(_ index: Int) {
            let symbol = symbols[index]
            let text = piece(symbol.start, symbol.length)
            if let id = vocabulary[text] { output.append(id); return }
            if let (l, r) = reverseMerge[text] { resegment(l); resegment(r); return }
            for b in bytes[symbol.start..<(symbol.start + symbol.length)] { output.append(byteTokens[Int(b)] ?? unknownID) }
        }
        var i = symbols.isEmpty ? -1 : 0
        while i != -1 { resegment(i); i = symbols[i].next }
        return output
    }

    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xF: return 4
        case 0xE: return 3
        case 0xC, 0xD: return 2
        default: return 1
        }
    }
}

/// A max-heap.
struct BinaryHeap<Element: Comparable> {
    private var items: [Element] = []
    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] < items[i] { items.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }
    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var largest = i
            if l < items.count, items[largest] < items[l] { largest = l }
            if r < items.count, items[largest] < items[r] { largest = r }
            if largest == i { break }
            items.swapAt(i, largest)
            i = largest
        }
        return top
    }
}
