// PythonText.swift: values as Python prints them: str() (what {{ x }} writes), repr() (inside lists and
// dicts) and float repr (shortest round-trip digits, exponent below 1e-4 and from 1e16).
import Foundation

extension JinjaValue {
    /// Python's str(x); undefined prints as nothing, as Jinja2's default Undefined does. Unbounded:
    /// the renderer uses `pythonString(limit:line:)`.
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case let .string(s), let .markup(s): return s
        default: return pythonRepr
        }
    }

    /// Python's repr(x), unbounded.
    var pythonRepr: String {
        var out = ""
        writeRepr(into: &out, limit: nil)
        return out
    }

    /// str(x), refused with a `.limit` error once it would pass `limit` bytes (a list can repeat one
    /// long string a million times).
    func pythonString(limit: Int, line: Int) throws -> String {
        switch self {
        case .undefined: return ""
        case let .string(s), let .markup(s): return s
        default:
            var out = ""
            guard writeRepr(into: &out, limit: limit) else {
                throw JinjaError(.limit, line: line, "the text of a value is longer than \(limit) bytes")
            }
            return out
        }
    }

    /// repr(x), bounded as `pythonString(limit:line:)` is.
    func pythonRepr(limit: Int, line: Int) throws -> String {
        var out = ""
        guard writeRepr(into: &out, limit: limit) else {
            throw JinjaError(.limit, line: line, "the text of a value is longer than \(limit) bytes")
        }
        return out
    }

    /// Appends repr(x); false (and the text cut short) once `out` passes `limit` bytes.
    @discardableResult
    private func writeRepr(into out: inout String, limit: Int?) -> Bool {
        func items(_ a: [JinjaValue], _ open: String, _ close: String) -> Bool {
            out += open
            for (i, item) in a.enumerated() {
                if i > 0 { out += ", " }
                guard item.writeRepr(into: &out, limit: limit) else { return false }
            }
            out += close
            return limit.map { out.utf8.count <= $0 } ?? true
        }
        switch self {
        case .undefined: break
        case .none: out += "None"
        case let .bool(b): out += b ? "True" : "False"
        case let .int(i): out += String(i)
        case let .float(d): out += pythonFloatRepr(d)
        case let .string(s): out += pythonStringRepr(s)
        case let .markup(s): out += "Markup(\(pythonStringRepr(s)))"
        case let .list(a): return items(a, "[", "]")
        case let .tuple(a): return items(a, "(", a.count == 1 ? ",)" : ")")
        case let .dict(d):
            out += "{"
            for (i, (k, v)) in d.pairs.enumerated() {
                if i > 0 { out += ", " }
                guard k.writeRepr(into: &out, limit: limit) else { return false }
                out += ": "
                guard v.writeRepr(into: &out, limit: limit) else { return false }
            }
            out += "}"
        case let .namespace(n):
            out += "<Namespace "
            guard JinjaValue.dict(n.attributes).writeRepr(into: &out, limit: limit) else { return false }
            out += ">"
        case let .callable(c): out += "<function \(c.name)>"
        case .loop: out += "<LoopContext>"
        case .iterator: out += "<generator object>"
        }
        return limit.map { out.utf8.count <= $0 } ?? true
    }
}

/// repr() of a float: the shortest digits that read back to the same value, written as Python writes them.
func pythonFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description gives the same shortest digits; only the layout differs.
    var text = "\(d.magnitude)"
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = String(parts[0])
    let fracPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = intPart + fracPart
    var pointPosition = intPart.count + exponent        // the decimal point sits after this many digits
    let leadingZeros = digits.prefix { $0 == "0" }.count
    digits.removeFirst(leadingZeros)
    pointPosition -= leadingZeros
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    let decimalExponent = pointPosition - 1             // d.ddd x 10^decimalExponent
    let sign = d < 0 ? "-" : ""
    if decimalExponent < -4 || decimalExponent >= 16 {
        let mantissa = digits.count == 1 ? digits : "\(digits.first!).\(digits.dropFirst())"
        let e = abs(decimalExponent)
        return "\(sign)\(mantissa)e\(decimalExponent < 0 ? "-" : "+")\(e < 10 ? "0" : "")\(e)"
    }
    if pointPosition <= 0 { return "\(sign)0.\(String(repeating: "0", count: -pointPosition))\(digits)" }
    if pointPosition >= digits.count { return "\(sign)\(digits)\(String(repeating: "0", count: pointPosition - digits.count)).0" }
    let i = digits.index(digits.startIndex, offsetBy: pointPosition)
    return "\(sign)\(digits[..<i]).\(digits[i...])"
}

/// repr() of a str: single quotes unless the text has a single quote and no double one.
func pythonStringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
    var out = String.UnicodeScalarView()
    out.append(quote)
    for c in s.unicodeScalars {
        switch c {
        case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
        case "\n": out.append(contentsOf: "\\n".unicodeScalars)
        case "\r": out.append(contentsOf: "\\r".unicodeScalars)
        case "\t": out.append(contentsOf: "\\t".unicodeScalars)
        case quote: out.append("\\"); out.append(c)
        default:
            if isPythonPrintable(c) {
                out.append(c)
            } else {
                let hex = String(c.value, radix: 16)
                let escaped = c.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                    : c.value < 0x10000 ? "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    : "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                out.append(contentsOf: escaped.unicodeScalars)
            }
        }
    }
    out.append(quote)
    return String(out)
}

/// Python's str.isprintable() for one character: not a control, format, surrogate, private-use,
/// unassigned or separator character (the space excepted).
private func isPythonPrintable(_ c: Unicode.Scalar) -> Bool {
    if c == " " { return true }
    switch c.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator: return false
    default: return true
    }
}

/// Python's str.isspace() for one character (what `\s` and str.strip() treat as whitespace).
func isPythonWhitespace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: return true
    default: return c.value > 0xFF && c.properties.isWhitespace
    }
}
