// JinjaFilters.swift: the filters (`value|name(args)`) chat templates use, as Jinja2 3.1 defines them,
// with transformers' tojson (Python json.dumps). Jinja2 filters that no chat template needs are known
// by name (so a template using one is reported as unsupported, not as a typo).
import Foundation

/// Every filter Jinja2 3.1 has: a template using another name has a typo or needs another engine's
/// extension (llama.cpp's from_json); one of these that is not implemented here is our gap.
let jinja2FilterNames: Set<String> = [
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
    "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
    "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
    "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
    "wordwrap", "xmlattr",
]

extension JinjaRenderer {
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, line: Int) throws -> JinjaValue {
        switch (name, value) {
        case ("safe", .markup), ("e", .markup), ("escape", .markup): return value
        case ("safe", _): return .markup(try str(value, line: line))
        case ("e", _), ("escape", _), ("forceescape", _): return .markup(htmlEscaped(try str(value, line: line)))
        default: break
        }
        let value = value.demarked, args = args.demarked
        func arg(_ i: Int, _ key: String) -> JinjaValue? { args.value(i, key) }
        func text(_ v: JinjaValue) throws -> String { try str(v, line: line) }
        switch name {
        case "abs":
            switch value {
            case let .int(i) where i != Int.min: return .int(abs(i))
            case let .bool(b): return .int(b ? 1 : 0)
            case let .float(d): return .float(abs(d))
            default: throw JinjaError(.type, line: line, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            guard case let .string(attributeName)? = arg(0, "name") else { throw JinjaError(.type, line: line, "attr needs a name") }
            if let method = try boundMethod(of: value, attributeName, line: line) { return method }
            if case let .namespace(n) = value, let v = n.attributes[attributeName] { return v }
            if case let .loop(l) = value, let v = loopAttribute(l, attributeName) { return v }
            return .undefined("'\(value.typeName) object' has no attribute '\(attributeName)'")
        case "batch":
            guard let size = arg(0, "linecount")?.integer, size > 0 else { throw JinjaError(.type, line: line, "batch needs a positive line count") }
            let fill = arg(1, "fill_with")
            let items = try value.iterated(line: line)
            let padding = items.count % size == 0 || fill == nil ? 0 : size - items.count % size
            try spend(padding, line: line)
            return try checkedNesting(.iterator(stride(from: 0, to: items.count, by: size).map { start in
                var row = Array(items[start..<min(start + size, items.count)])
                if let fill, row.count < size { row += Array(repeating: fill, count: size - row.count) }
                return .list(row)
            }), line: line)
        case "capitalize": return .string(pythonCapitalize(try text(value)))
        case "center":
            let s = try text(value)
            let width = arg(0, "width")?.integer ?? 80
            let count = s.unicodeScalars.count
            guard width > count else { return .string(s) }
            let margin = width - count
            try spend(margin, line: line)
            let left = margin / 2 + (margin & width & 1)
            return try checkedString(String(repeating: " ", count: left) + s + String(repeating: " ", count: margin - left), line: line)
        case "count", "length":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .list(a), let .tuple(a): return .int(a.count)
            case let .dict(d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw JinjaError(.type, line: line, "object of type '\(value.typeName)' has no len()")
            }
        case "d", "default":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "dictsort":
            guard case let .dict(d) = value else { throw JinjaError(.type, line: line, "dictsort needs a mapping") }
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let byValue: Bool
            switch arg(1, "by") {
            case nil, .string("key")?: byValue = false
            case .string("value")?: byValue = true
            default: throw JinjaError(.type, line: line, "You can only sort by either \"key\" or \"value\"")
            }
            let reverse = arg(2, "reverse")?.isTruthy ?? false
            let pairs = d.pairs.map { JinjaValue.tuple([$0, $1]) }
            return try checkedNesting(.list(try sortValues(pairs, reverse: reverse, line: line) { pair in
                guard case let .tuple(kv) = pair else { return pair }
                return caseSensitive ? kv[byValue ? 1 : 0] : foldCase(kv[byValue ? 1 : 0])
            }), line: line)
        case "first":
            let items = try value.iterated(line: line)
            return items.first ?? .undefined("No first item, sequence was empty.")
        case "last":
            if case .iterator = value { throw JinjaError(.type, line: line, "'generator' object is not reversible") }
            let items = try value.iterated(line: line)
            return items.last ?? .undefined("No last item, sequence was empty.")
        case "float":
            let fallback = arg(0, "default") ?? .float(0)
            switch value {
            case let .float(d): return .float(d)
            case let .string(s): return pythonFloat(s).map { .float($0) } ?? fallback
            default: return value.numeric.map { .float($0) } ?? fallback
            }
        case "format":
            let rest = JinjaValue.tuple(args.keyword.isEmpty ? args.positional : [])
            return try binary(.modulo, .string(try text(value)), rest, line: line)
        case "indent":
            let width = arg(0, "width") ?? .int(4)
            let indentation: String
            if case let .string(w) = width { indentation = w } else {
                let n = max(width.integer ?? 4, 0)
                try spend(n, line: line)
                indentation = String(repeating: " ", count: n)
            }
            let s = try text(value)
            // every line may gain the indentation: bound the result before building it
            let lines = s.utf8.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            let (extra, overflow) = lines.multipliedReportingOverflow(by: indentation.utf8.count)
            guard !overflow, extra <= options.maxOutputBytes - s.utf8.count else {
                throw JinjaError(.limit, line: line, "the template built a string longer than \(options.maxOutputBytes) bytes")
            }
            return .string(indent(s, indentation, first: arg(1, "first")?.isTruthy ?? false, blank: arg(2, "blank")?.isTruthy ?? false))
        case "int":
            let fallback = arg(0, "default") ?? .int(0)
            switch value {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .float(d): return d.isFinite && abs(d) < 9.2e18 ? .int(Int(d.rounded(.towardZero))) : fallback
            case let .string(s):
                if let i = pythonInt(s) { return .int(i) }
                if let d = pythonFloat(s), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d.rounded(.towardZero))) }
                return fallback
            default: return fallback
            }
        case "items":
            switch value {
            case .undefined: return .list([])
            case let .dict(d): return try checkedNesting(.iterator(d.pairs.map { .tuple([$0, $1]) }), line: line)
            default: throw JinjaError(.type, line: line, "Can only get item pairs from a mapping.")
            }
        case "join":
            let separator = try text(arg(0, "d") ?? .string(""))
            var items = try value.iterated(line: line)
            if let attribute = arg(1, "attribute") { items = try items.map { try attributePath($0, attribute, line: line) } }
            var out = ""
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                out += try text(item)
                guard out.utf8.count <= options.maxOutputBytes else { return try checkedString(out, line: line) }
            }
            return .string(out)
        case "list": return .list(try value.iterated(line: line))
        case "lower": return .string(try text(value).lowercased())
        case "upper": return .string(try text(value).uppercased())
        case "map":
            guard value.isTruthy else { return .iterator([]) }
            let items = try value.iterated(line: line)
            if let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = args.keyword.first(where: { $0.0 == "default" })?.1
                return .iterator(try items.map { item in
                    let v = try attributePath(item, attribute, line: line)
                    if v.isUndefined, let fallback { return fallback }
                    return v
                })
            }
            guard case let .string(filterName)? = args.positional.first else { throw JinjaError(.type, line: line, "map needs a filter name or attribute=") }
            let rest = JinjaArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            return .iterator(try nested(line: line) { try items.map { try applyFilter(filterName, $0, rest, line: line) } })
        case "max", "min":
            let items = try value.iterated(line: line)
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(1, "attribute")
            let sorted = try sortValues(items, reverse: name == "max", line: line) { v in
                let key = try attribute.map { try attributePath(v, $0, line: line) } ?? v
                return caseSensitive ? key : foldCase(key)
            }
            return sorted.first ?? .undefined("No aggregated item, sequence was empty.")
        case "reject", "select", "rejectattr", "selectattr":
            guard value.isTruthy else { return .iterator([]) }
            let byAttribute = name.hasSuffix("attr")
            var rest = args.positional
            var attribute: JinjaValue? = nil
            if byAttribute {
                guard !rest.isEmpty else { throw JinjaError(.type, line: line, "\(name) needs an attribute name") }
                attribute = rest.removeFirst()
            }
            let testName: String?
            if rest.isEmpty { testName = nil } else {
                guard case let .string(t) = rest.removeFirst() else { throw JinjaError(.type, line: line, "\(name): the test name must be a string") }
                testName = t
            }
            let keep = name.hasPrefix("select")
            return .iterator(try value.iterated(line: line).filter { item in
                let subject = try attribute.map { try attributePath(item, $0, line: line) } ?? item
                let passed = try testName.map { try applyTest($0, subject, JinjaArguments(positional: rest, keyword: args.keyword), line: line) } ?? subject.isTruthy
                return passed == keep
            })
        case "replace":
            let old = try text(arg(0, "old") ?? .string(""))
            let new = try text(arg(1, "new") ?? .string(""))
            let count = arg(2, "count")?.integer ?? -1
            return try checkedString(try pythonReplace(try text(value), old, new, count: count, limit: options.maxOutputBytes, line: line), line: line)
        case "reverse":
            if case let .string(s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            if case let .iterator(items) = value { return .list(items.reversed()) }
            return .iterator(try value.iterated(line: line).reversed())
        case "round":
            let precision = arg(0, "precision")?.integer ?? 0
            let method = try text(arg(1, "method") ?? .string("common"))
            guard let x = value.numeric else { throw JinjaError(.type, line: line, "type \(value.typeName) doesn't define __round__ method") }
            let scale = pow(10.0, Double(max(min(precision, 400), -400)))
            switch method {
            case "common":
                // Python's round: an int stays an int (to a multiple of 10^-precision, half to even)
                if let i = value.integer { return .int(roundedInteger(i, precision)) }
                return .float((x * scale).rounded(.toNearestOrEven) / scale)
            case "ceil": return .float((x * scale).rounded(.up) / scale)
            case "floor": return .float((x * scale).rounded(.down) / scale)
            default: throw JinjaError(.type, line: line, "method must be common, ceil or floor")
            }
        case "string": return .string(try text(value))
        case "sort":
            let reverse = arg(0, "reverse")?.isTruthy ?? false
            let caseSensitive = arg(1, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(2, "attribute")
            return .list(try sortValues(try value.iterated(line: line), reverse: reverse, line: line) { v in
                let key = try attribute.map { try attributePath(v, $0, line: line) } ?? v
                return caseSensitive ? key : foldCase(key)
            })
        case "sum":
            var total = arg(1, "start") ?? .int(0)
            for item in try value.iterated(line: line) {
                let v = try arg(0, "attribute").map { try attributePath(item, $0, line: line) } ?? item
                total = try binary(.add, total, v, line: line)
            }
            return total
        case "title": return .string(jinjaTitle(try text(value)))
        case "tojson":
            var options = JSONDumpOptions()
            options.ensureASCII = arg(0, "ensure_ascii")?.isTruthy ?? false
            switch arg(1, "indent") {
            case nil, .none?: options.indent = nil
            case let .int(n)?:
                try spend(max(n, 0), line: line)
                options.indent = String(repeating: " ", count: max(n, 0))
            case let .string(s)?: options.indent = s
            case let other?: throw JinjaError(.type, line: line, "tojson: indent must be an int or a string, not \(other.typeName)")
            }
            switch arg(2, "separators") {
            case nil, .none?: break
            case let .list(parts)?, let .tuple(parts)?:
                guard parts.count == 2, case let .string(item) = parts[0], case let .string(key) = parts[1] else {
                    throw JinjaError(.type, line: line, "tojson: separators must be two strings")
                }
                options.itemSeparator = item
                options.keySeparator = key
            case let other?: throw JinjaError(.type, line: line, "tojson: separators must be two strings, not \(other.typeName)")
            }
            options.sortKeys = arg(3, "sort_keys")?.isTruthy ?? false
            options.maxBytes = self.options.maxOutputBytes
            return try checkedString(try value.pythonJSON(options, line: line), line: line)
        case "trim":
            let chars = try arg(0, "chars").flatMap { $0 == .none ? nil : try text($0) }
            return .string(pythonStrip(try text(value), chars, leading: true, trailing: true))
        case "unique":
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(1, "attribute")
            // strings and ints by hash (as Python does), other keys by comparison
            var seenText = Set<ExactText>(), seenInts = Set<Int>()
            var seenOther: [JinjaValue] = []
            var out: [JinjaValue] = []
            let items = try value.iterated(line: line)
            try spend(items.count, line: line)
            for item in items {
                var key = try attribute.map { try attributePath(item, $0, line: line) } ?? item
                if !caseSensitive { key = foldCase(key) }
                let isNew: Bool
                if case let .string(k) = key {
                    isNew = seenText.insert(ExactText(k)).inserted
                } else if let n = key.numeric, n == n.rounded(), abs(n) < 9.2e18 {
                    isNew = seenInts.insert(key.integer ?? Int(n)).inserted     // 1, 1.0 and True are one key
                } else {
                    try spend(seenOther.count, line: line)
                    isNew = !seenOther.contains { $0.pythonEquals(key) }
                    if isNew { seenOther.append(key) }
                }
                if isNew { out.append(item) }
            }
            return .iterator(out)
        case "wordcount":
            var words = 0
            var inWord = false
            for c in try text(value).unicodeScalars {
                let isWordCharacter = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if isWordCharacter && !inWord { words += 1 }
                inWord = isWordCharacter
            }
            return .int(words)
        default:
            guard jinja2FilterNames.contains(name) else { throw JinjaError(.unsupported, line: line, "No filter named '\(name)'.") }
            throw JinjaError(.unsupported, line: line, "the filter '\(name)' is not supported")
        }
    }

    /// `item.a.b` for map/selectattr/sort's attribute= (an int part indexes).
    func attributePath(_ item: JinjaValue, _ path: JinjaValue, line: Int) throws -> JinjaValue {
        if let i = path.integer { return try self.item(of: item, .int(i), line: line) }
        var v = item
        for part in try str(path, line: line).split(separator: ".", omittingEmptySubsequences: false) {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            if v.isUndefined { return v }
            v = try self.item(of: v, key, line: line)
        }
        return v
    }

    /// A stable sort by Python order of `key(item)` (merge sort, since the comparison can throw).
    func sortValues(_ items: [JinjaValue], reverse: Bool, line: Int, key: (JinjaValue) throws -> JinjaValue) throws -> [JinjaValue] {
        try spend(items.count, line: line)
        let keyed = try items.map { (try key($0), $0) }
        func merge(_ a: ArraySlice<(JinjaValue, JinjaValue)>) throws -> [(JinjaValue, JinjaValue)] {
            guard a.count > 1 else { return Array(a) }
            let mid = a.startIndex + a.count / 2
            let left = try merge(a[..<mid]), right = try merge(a[mid...])
            var out: [(JinjaValue, JinjaValue)] = []
            out.reserveCapacity(a.count)
            var i = 0, j = 0
            while i < left.count, j < right.count {
                let order = try pythonOrder(right[j].0, left[i].0, op: .less, line: line)
                // stable: take from the right only when it strictly precedes (reversed: strictly follows)
                if reverse ? order > 0 : order < 0 { out.append(right[j]); j += 1 } else { out.append(left[i]); i += 1 }
            }
            out.append(contentsOf: left[i...])
            out.append(contentsOf: right[j...])
            return out
        }
        return try merge(keyed[...]).map(\.1)
    }
}

/// Lowercases strings (Jinja2's case-insensitive sort and unique keys); other values unchanged.
private func foldCase(_ v: JinjaValue) -> JinjaValue {
    if case let .string(s) = v { return .string(s.lowercased()) }
    return v
}

func htmlEscaped(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// Jinja2's title filter: each word (after whitespace, -, (, {, [ or <) capitalized, the rest lowercased.
private func jinjaTitle(_ s: String) -> String {
    var out = ""
    var atWordStart = true
    for c in s.unicodeScalars {
        if isPythonWhitespace(c) || "-({[<".unicodeScalars.contains(c) {
            out.unicodeScalars.append(c)
            atWordStart = true
        } else {
            out += atWordStart ? String(c).uppercased() : String(c).lowercased()
            atWordStart = false
        }
    }
    return out
}

/// Python's round(i, ndigits) of an int: a multiple of 10^-ndigits, ties to even.
private func roundedInteger(_ i: Int, _ ndigits: Int) -> Int {
    guard ndigits < 0 else { return i }
    guard ndigits > -19 else { return 0 }
    var unit = 1
    for _ in 0..<(-ndigits) { unit *= 10 }
    let q = i / unit, r = i % unit                     // truncated toward zero
    let twice = r.magnitude * 2
    var rounded = q
    if twice > unit.magnitude || (twice == unit.magnitude && q % 2 != 0) { rounded += i < 0 ? -1 : 1 }
    let (result, overflow) = rounded.multipliedReportingOverflow(by: unit)
    return overflow ? i : result
}

/// Jinja2's indent filter (lines after the first indented; blank lines only with `blank`).
private func indent(_ s: String, _ indentation: String, first: Bool, blank: Bool) -> String {
    var lines = pythonSplitLines(s + "\n")
    var result: String
    if blank {
        result = lines.joined(separator: "\n" + indentation)
    } else {
        result = lines.isEmpty ? "" : lines.removeFirst()
        if !lines.isEmpty { result += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
    }
    return first ? indentation + result : result
}
