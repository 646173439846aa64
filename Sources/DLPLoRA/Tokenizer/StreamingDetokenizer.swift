// StreamingDetokenizer.swift: turns tokens into text as they arrive without ever emitting a broken UTF-8
// sequence: bytes of an incomplete character are held until the token that completes it.

/// Incremental decoding of one token stream.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private var pending: [UInt8] = []
    private var atStart = true

    public init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    /// The text that `id` completes (possibly empty while a character is still incomplete).
    public mutating func append(_ id: Int32) -> String {
        var bytes = tokenizer.bytes(of: id)
        if atStart, !bytes.isEmpty {
            if tokenizer.stripsLeadingSpace, bytes.first == 0x20 { bytes.removeFirst() }
            atStart = false
        }
        pending.append(contentsOf: bytes)
        let complete = Self.completePrefixLength(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is held back, with incomplete sequences as U+FFFD (call at the end of the stream).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest valid UTF-8 prefix of `bytes`.
    static func validPrefixLength(_ bytes: [UInt8]) -> Int {
        var length = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while case let .scalarValue(scalar) = decoder.decode(&iterator) { length += UTF8.width(scalar) }
        return length
    }

    /// Length of the prefix of `bytes` that does not end inside a multi-byte character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var continuation = 0
        while i >= 0, continuation < 3, bytes[i] & 0xC0 == 0x80 { i -= 1; continuation += 1 }
        guard i >= 0 else { return bytes.count }
        let lead = bytes[i]
        let needed: Int
        if lead & 0x80 == 0 { needed = 0 } else if lead & 0xE0 == 0xC0 { needed = 1 } else if lead & 0xF0 == 0xE0 { needed = 2 }
        else if lead & 0xF8 == 0xF0 { needed = 3 } else { return bytes.count }   // invalid lead: let decoding replace it
        return continuation >= needed ? bytes.count : i
    }
}
