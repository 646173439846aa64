// JinjaJSON.swift: JSON in and out of template values. Parsing keeps object key order and tells ints
// from floats (as Python's json.loads does), so a conversation read from a file renders as transformers
// renders it; `tojson` writes what Python's json.dumps writes (transformers' tojson filter).
import Foundation

public struct JinjaJSONError: Error, CustomStringConvertible, Equatable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JinjaValue {
    /// Parses JSON text into values: objects become ordered dicts, numbers without a fraction or
    /// exponent ints. Nesting deeper than 256 levels is refused.
    public static func parseJSON(_ text: String, rejectingDuplicateKeys: Bool = false) throws -> JinjaValue {
        var parser = JSONParser(bytes: Array(text.utf8), rejectDuplicates: rejectingDuplicateKeys)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.error("extra text after the value") }
        return value
    }

    /// Parses UTF-8 JSON bytes (a messages or tools file). A key given twice in one object keeps its last
    /// value, as Python's json.loads does, unless `rejectingDuplicateKeys` (then it is an error).
    public static func parseJSON(_ data: Data, rejectingDuplicateKeys: Bool = false) throws -> JinjaValue {
        guard let text = String(data: data, encoding: .utf8) else { throw JinjaJSONError(offset: 0, reason: "not UTF-8") }
        return try parseJSON(text, rejectingDuplicateKeys: rejectingDuplicateKeys)
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var rejectDuplicates = false

    init(bytes: [UInt8], rejectDuplicates: Bool) {
        self.bytes = bytes
        self.rejectDuplicates = rejectDuplicates
    }

    func error(_ reason: String) -> JinjaJSONError { JinjaJSONError(offset: position, reason: reason) }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ literal: String, _ value: JinjaValue) throws -> JinjaValue {
        let l = Array(literal.utf8)
        guard position + l.count <= bytes.count, Array(bytes[position..<position + l.count]) == l else { throw error("expected \(literal)") }
        position += l.count
        return value
    }

    mutating func parseValue(depth: Int) throws -> JinjaValue {
        guard depth < 256 else { throw error("nesting deeper than 256 levels") }
        guard position < bytes.count else { throw error("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var dict = JinjaDict()
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .dict(dict) }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let keyStart = position
                let key = try parseString()
                if rejectDuplicates, dict[key] != nil {
                    position = keyStart
                    throw error("the key \"\(key)\" appears twice in one object")
                }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                dict[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of input") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .dict(dict) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            position += 1
            var items: [JinjaValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .list(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of input") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .list(items) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .none)
        default: return try parseNumber()
        }
    }

    mutating func parseNumber() throws -> JinjaValue {
        let start = position
        var isFloat = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while position < bytes.count {
            let b = bytes[position]
            if b >= 0x30 && b <= 0x39 { position += 1; continue }
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || ((b == UInt8(ascii: "+") || b == UInt8(ascii: "-")) && position > digitsStart) {
                isFloat = true
                position += 1
                continue
            }
            break
        }
        guard position > digitsStart, let text = String(bytes: bytes[start..<position], encoding: .utf8) else {
            position = start
            throw error("expected a value")
        }
        // JSON numbers: no leading zeros, digits on both sides of a point
        let digits = bytes[digitsStart..<position]
        if digits.count > 1, digits.first == UInt8(ascii: "0"), digits.dropFirst().first.map({ $0 >= 0x30 && $0 <= 0x39 }) == true {
            position = start
            throw error("invalid number \(text) (leading zero)")
        }
        if !isFloat {
            if let i = Int(text) { return .int(i) }
            // beyond 64 bits (tokenizer_config.json's model_max_length 1000000000000000019884624838656):
            // a float, as JSONSerialization reads it, rather than an error
            guard let d = Double(text) else { position = start; throw error("invalid number \(text)") }
            return .float(d)
        }
        guard let d = Double(text) else { position = start; throw error("invalid number \(text)") }
        return .float(d)      // 1e400 is inf, as in Python
    }

    mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count, let s = String(bytes: bytes[position..<position + 4], encoding: .ascii),
              let v = UInt32(s, radix: 16) else { throw error("invalid \\u escape") }
        position += 4
        return v
    }

    mutating func parseString() throws -> String {
        position += 1        // the opening quote
        var out = [UInt8]()
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let b = bytes[position]
            position += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(bytes: out, encoding: .utf8) else { throw error("string is not UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw error("unterminated string") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if code >= 0xD800 && code < 0xDC00, position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        let low = try parseHex4()
                        if low >= 0xDC00 && low < 0xE000 { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) } else { position = save }
                    }
                    // a lone surrogate cannot be a Swift string; it becomes U+FFFD
                    out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
                default: throw error("invalid escape")
                }
            default:
                if b < 0x20 { throw error("control character in string") }
                out.append(b)
            }
        }
    }
}

/// The options of transformers' tojson filter (Python json.dumps).
struct JSONDumpOptions {
    var ensureASCII = false
    /// nil: one line; otherwise the text of one level of indentation.
    var indent: String?
    var itemSeparator: String?
    var keySeparator: String?
    var sortKeys = false
    /// The longest text to write (the renderer's output bound).
    var maxBytes = Int.max
}

extension JinjaValue {
    /// json.dumps(self, ...) as Python writes it.
    func pythonJSON(_ options: JSONDumpOptions, line: Int) throws -> String {
        var out = ""
        try writeJSON(into: &out, options, level: 0, line: line)
        return out
    }

    private func writeJSON(into out: inout String, _ o: JSONDumpOptions, level: Int, line: Int) throws {
        let itemSeparator = o.itemSeparator ?? (o.indent == nil ? ", " : ",")
        let keySeparator = o.keySeparator ?? ": "
        func newline(_ depth: Int) throws {
            guard let indent = o.indent else { return }
            guard indent.utf8.count.multipliedReportingOverflow(by: depth).partialValue <= o.maxBytes - out.utf8.count else {
                throw JinjaError(.limit, line: line, "tojson wrote more than \(o.maxBytes) bytes")
            }
            out += "\n" + String(repeating: indent, count: depth)
        }
        guard out.utf8.count <= o.maxBytes else { throw JinjaError(.limit, line: line, "tojson wrote more than \(o.maxBytes) bytes") }
        switch self {
        case .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .float(d): out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : pythonFloatRepr(d)
        case let .string(s), let .markup(s): out += jsonQuoted(s, ensureASCII: o.ensureASCII)
        case let .list(items), let .tuple(items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                try newline(level + 1)
                try item.writeJSON(into: &out, o, level: level + 1, line: line)
            }
            try newline(level)
            out += "]"
        case let .dict(d):
            if d.isEmpty { out += "{}"; return }
            var pairs = try d.pairs.map { (try $0.jsonKey(line: line), $1) }
            if o.sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                try newline(level + 1)
                out += jsonQuoted(key, ensureASCII: o.ensureASCII) + keySeparator
                try value.writeJSON(into: &out, o, level: level + 1, line: line)
            }
            try newline(level)
            out += "}"
        case .undefined: throw JinjaError(.type, line: line, "Object of type Undefined is not JSON serializable")
        case .namespace, .callable, .loop, .iterator: throw JinjaError(.type, line: line, "Object of type \(typeName) is not JSON serializable")
        }
    }

    /// A dict key as json.dumps writes it: str as is, numbers, bools and None as their JSON text.
    private func jsonKey(line: Int) throws -> String {
        switch demarked {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .float(d): return pythonFloatRepr(d)
        case let .bool(b): return b ? "true" : "false"
        case .none: return "null"
        default: throw JinjaError(.type, line: line, "keys must be str, int, float, bool or None, not \(typeName)")
        }
    }
}

private func jsonQuoted(_ s: String, ensureASCII: Bool) -> String {
    var out = "\""
    func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if c.value < 0x20 {
                out += hex4(c.value)
            } else if ensureASCII && c.value > 0x7F {
                if c.value >= 0x10000 {
                    let v = c.value - 0x10000
                    out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
                } else {
                    out += hex4(c.value)
                }
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
    return out + "\""
}
