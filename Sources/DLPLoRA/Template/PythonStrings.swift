// PythonStrings.swift: Python's str operations that templates call, on Unicode scalars as Python counts
// characters: strip, split, splitlines, replace, capitalize, title, int() and float() parsing, format().
import Foundation

/// str.strip/lstrip/rstrip: `chars` nil strips whitespace.
func pythonStrip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
    let set = chars.map { Set($0.unicodeScalars) }
    func strip(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isPythonWhitespace(c) }
    let scalars = s.unicodeScalars
    var start = scalars.startIndex, end = scalars.endIndex
    if leading { while start < end, strip(scalars[start]) { scalars.formIndex(after: &start) } }
    if trailing {
        while end > start {
            let last = scalars.index(before: end)
            guard strip(scalars[last]) else { break }
            end = last
        }
    }
    if start == scalars.startIndex && end == scalars.endIndex { return s }
    return String(scalars[start..<end])
}

/// str.split(sep, maxsplit) (from the left) and str.rsplit (from the right).
func pythonSplit(_ s: String, _ separator: String?, maxSplit: Int, fromRight: Bool = false) -> [String] {
    let scalars = Array(s.unicodeScalars)
    func string(_ r: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(r)) }
    guard let separator else {
        // runs of whitespace separate; none at either end
        var words: [ArraySlice<Unicode.Scalar>] = []
        var i = 0
        var splits = 0
        let ordered = fromRight ? Array(scalars.reversed()) : scalars
        while i < ordered.count {
            while i < ordered.count, isPythonWhitespace(ordered[i]) { i += 1 }
            guard i < ordered.count else { break }
            if maxSplit >= 0, splits == maxSplit {
                words.append(ordered[i...])      // the rest, with its trailing whitespace, as Python keeps it
                break
            }
            let start = i
            while i < ordered.count, !isPythonWhitespace(ordered[i]) { i += 1 }
            words.append(ordered[start..<i])
            splits += 1
        }
        return fromRight ? words.reversed().map { string(ArraySlice($0.reversed())) } : words.map(string)
    }
    let sep = Array(separator.unicodeScalars)
    var parts: [String] = []
    if fromRight {
        var end = scalars.count
        var i = scalars.count - sep.count
        while i >= 0, maxSplit < 0 || parts.count < maxSplit {
            if scalars[i..<i + sep.count].elementsEqual(sep) {
                parts.append(string(scalars[(i + sep.count)..<end]))
                end = i
                i -= sep.count
            } else {
                i -= 1
            }
        }
        parts.append(string(scalars[0..<end]))
        return parts.reversed()
    }
    var start = 0
    var i = 0
    while i + sep.count <= scalars.count, maxSplit < 0 || parts.count < maxSplit {
        if scalars[i..<i + sep.count].elementsEqual(sep) {
            parts.append(string(scalars[start..<i]))
            i += sep.count
            start = i
        } else {
            i += 1
        }
    }
    parts.append(string(scalars[start...]))
    return parts
}

/// str.splitlines(): every Unicode line boundary ends a line; \r\n counts once.
func pythonSplitLines(_ s: String, keepEnds: Bool = false) -> [String] {
    let boundaries: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
    let scalars = Array(s.unicodeScalars)
    var lines: [String] = []
    var start = 0
    var i = 0
    while i < scalars.count {
        if boundaries.contains(scalars[i].value) {
            var end = i + 1
            if scalars[i] == "\r", end < scalars.count, scalars[end] == "\n" { end += 1 }
            lines.append(String(String.UnicodeScalarView(scalars[start..<(keepEnds ? end : i)])))
            start = end
            i = end
        } else {
            i += 1
        }
    }
    if start < scalars.count { lines.append(String(String.UnicodeScalarView(scalars[start...]))) }
    return lines
}

/// str.replace(old, new, count); an empty `old` inserts `new` between all characters and at both ends.
/// Throws a `.limit` error instead of building more than `limit` bytes.
func pythonReplace(_ s: String, _ old: String, _ new: String, count: Int, limit: Int, line: Int) throws -> String {
    let scalars = Array(s.unicodeScalars)
    let o = Array(old.unicodeScalars)
    var out = String.UnicodeScalarView()
    var replaced = 0
    var bytes = 0
    func insert() throws {
        out.append(contentsOf: new.unicodeScalars)
        replaced += 1
        bytes += new.utf8.count
        guard bytes <= limit else { throw JinjaError(.limit, line: line, "replace would build a string longer than \(limit) bytes") }
    }
    if o.isEmpty {
        for c in scalars {
            if count < 0 || replaced < count { try insert() }
            out.append(c)
        }
        if count < 0 || replaced < count { try insert() }
        return String(out)
    }
    var i = 0
    while i < scalars.count {
        if count < 0 || replaced < count, i + o.count <= scalars.count, scalars[i] == o[0], scalars[i..<i + o.count].elementsEqual(o) {
            try insert()
            i += o.count
        } else {
            out.append(scalars[i])
            i += 1
        }
    }
    return String(out)
}

/// str.capitalize(): the first character title-cased, the rest lowercased.
func pythonCapitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return first.properties.titlecaseMapping + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
}

/// str.title(): a letter after a cased letter is lowercased, any other letter title-cased.
func pythonTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for c in s.unicodeScalars {
        let props = c.properties
        if props.isCased {
            out += previousCased ? props.lowercaseMapping : props.titlecaseMapping
            previousCased = true
        } else {
            out.unicodeScalars.append(c)
            previousCased = false          // Python: any uncased character (an apostrophe too) starts a word
        }
    }
    return out
}

/// int(s): optional sign, digits with single underscores between them, surrounding whitespace.
func pythonInt(_ s: String) -> Int? {
    var t = pythonStrip(s, nil, leading: true, trailing: true)
    if t.contains("__") || t.hasSuffix("_") || t.hasPrefix("_") { return nil }
    t = t.replacingOccurrences(of: "_", with: "")
    guard !t.isEmpty, t.unicodeScalars.dropFirst(t.first == "-" || t.first == "+" ? 1 : 0).allSatisfy({ $0.isASCII && $0.properties.numericType == .decimal }) else { return nil }
    return Int(t.first == "+" ? String(t.dropFirst()) : t)
}

/// float(s): decimal or exponent notation, inf, nan, surrounding whitespace.
func pythonFloat(_ s: String) -> Double? {
    let t = pythonStrip(s, nil, leading: true, trailing: true).lowercased()
    switch t {
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan", "+nan", "-nan": return .nan
    default:
        guard !t.isEmpty, t.unicodeScalars.allSatisfy({ "0123456789.e+-_".unicodeScalars.contains($0) }) else { return nil }
        return Double(t.replacingOccurrences(of: "_", with: ""))
    }
}
