// JinjaMethods.swift: the Python methods templates call on strings, dicts and lists (`s.strip()`,
// `d.get(k)`, ...). Methods that modify a list or dict are refused, as Jinja2's immutable sandbox
// (the one transformers renders with) refuses them.
import Foundation

/// Every method name `boundMethod` knows, of any type (an attribute with another name skips the lookup).
let jinjaMethodNames: Set<String> = [
    "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower", "casefold",
    "title", "capitalize", "swapcase", "replace", "find", "rfind", "index", "rindex", "count", "format", "join",
    "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper", "removeprefix",
    "removesuffix", "center", "ljust", "rjust", "zfill", "partition", "rpartition",
    "get", "items", "keys", "values", "copy", "clear", "pop", "popitem", "setdefault", "update",
    "append", "extend", "insert", "remove", "reverse", "sort",
]

extension JinjaRenderer {
    /// The bound method `name` of `value`, or nil if its type has no such method.
    func boundMethod(of value: JinjaValue, _ name: String, line: Int) throws -> JinjaValue? {
        let value = value.demarked
        let method: ((JinjaArguments) throws -> JinjaValue)?
        switch value {
        case let .string(s): method = stringMethod(s, name, line: line)
        case let .dict(d): method = dictMethod(d, name, line: line)
        case let .list(items), let .tuple(items):
            let isList: Bool
            if case .list = value { isList = true } else { isList = false }
            method = sequenceMethod(items, name, isList: isList, line: line)
        default: method = nil
        }
        guard let method else { return nil }
        return .callable(JinjaCallable(name) { args, _ in try method(args.demarked) })
    }

    private func refused(_ name: String, _ type: String, line: Int) -> (JinjaArguments) throws -> JinjaValue {
        { _ in throw JinjaError(.security, line: line, "access to attribute '\(name)' of '\(type)' object is unsafe.") }
    }

    private func stringArgument(_ args: JinjaArguments, _ i: Int, _ key: String, method: String, line: Int) throws -> String? {
        switch args.value(i, key) {
        case nil, .none?: return nil
        case let .string(s)?: return s
        case let other?: throw JinjaError(.type, line: line, "\(method)() argument must be str or None, not \(other.typeName)")
        }
    }

    private func stringMethod(_ s: String, _ name: String, line: Int) -> ((JinjaArguments) throws -> JinjaValue)? {
        let scalars = { Array(s.unicodeScalars) }
        switch name {
        case "strip", "lstrip", "rstrip":
            return { args in
                let chars = try self.stringArgument(args, 0, "chars", method: name, line: line)
                return .string(pythonStrip(s, chars, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split", "rsplit":
            return { args in
                let separator = try self.stringArgument(args, 0, "sep", method: name, line: line)
                if separator == "" { throw JinjaError(.type, line: line, "empty separator") }
                let maxSplit = args.value(1, "maxsplit")?.integer ?? -1
                return .list(pythonSplit(s, separator, maxSplit: maxSplit, fromRight: name == "rsplit").map { .string($0) })
            }
        case "splitlines":
            return { args in .list(pythonSplitLines(s, keepEnds: args.value(0, "keepends")?.isTruthy ?? false).map { .string($0) }) }
        case "startswith", "endswith":
            return { args in
                guard let first = args.value(0, "prefix") else { throw JinjaError(.type, line: line, "\(name)() takes at least 1 argument (0 given)") }
                var candidates: [JinjaValue]
                if case let .tuple(items) = first { candidates = items } else { candidates = [first] }
                let all = scalars()
                let (start, end) = sliceBounds(args, all.count)
                guard start <= all.count, start <= end else { return .bool(false) }
                let part = all[start..<end]
                for c in candidates {
                    guard case let .string(p) = c else { throw JinjaError(.type, line: line, "\(name) first arg must be str or a tuple of str, not \(c.typeName)") }
                    let ps = Array(p.unicodeScalars)
                    if name == "startswith" ? part.starts(with: ps) : part.reversed().starts(with: ps.reversed()) { return .bool(true) }
                }
                return .bool(false)
            }
        case "upper": return { _ in .string(s.uppercased()) }
        case "lower", "casefold": return { _ in .string(s.lowercased()) }
        case "title": return { _ in .string(pythonTitle(s)) }
        case "capitalize": return { _ in .string(pythonCapitalize(s)) }
        case "swapcase":
            return { _ in .string(s.unicodeScalars.map { c in
                c.properties.isUppercase ? c.properties.lowercaseMapping : c.properties.isLowercase ? c.properties.uppercaseMapping : String(c)
            }.joined()) }
        case "replace":
            return { args in
                guard case let .string(old)? = args.value(0, "old"), case let .string(new)? = args.value(1, "new") else {
                    throw JinjaError(.type, line: line, "replace() needs two strings")
                }
                return try self.checkedString(try pythonReplace(s, old, new, count: args.value(2, "count")?.integer ?? -1,
                                                                limit: self.options.maxOutputBytes, line: line), line: line)
            }
        case "find", "rfind", "index", "rindex", "count":
            return { args in
                guard case let .string(sub)? = args.value(0, "sub") else { throw JinjaError(.type, line: line, "\(name)() argument must be str") }
                let all = scalars(), needle = Array(sub.unicodeScalars)
                let (start, end) = sliceBounds(args, all.count)
                let searchable = start <= end && start <= all.count
                func matches(at i: Int) -> Bool { all[i..<i + needle.count].elementsEqual(needle) }
                let last = end - needle.count        // the last position a match can start at
                if name == "count" {
                    guard searchable else { return .int(0) }
                    if needle.isEmpty { return .int(end - start + 1) }
                    var n = 0, i = start
                    while i <= last { if matches(at: i) { n += 1; i += needle.count } else { i += 1 } }
                    return .int(n)
                }
                var found: Int? = nil
                if searchable, last >= start {
                    found = name.hasPrefix("r") ? stride(from: last, through: start, by: -1).first(where: matches) : (start...last).first(where: matches)
                }
                if let found { return .int(found) }
                if name.hasSuffix("index") { throw JinjaError(.type, line: line, "substring not found") }
                return .int(-1)
            }
        case "format": return { args in .string(try self.pythonFormat(s, args, line: line)) }
        case "join":
            return { args in
                guard let items = args.value(0, "iterable") else { throw JinjaError(.type, line: line, "join() takes exactly one argument (0 given)") }
                return try self.checkedString(try items.iterated(line: line).map { item -> String in
                    guard case let .string(t) = item else { throw JinjaError(.type, line: line, "sequence item: expected str instance, \(item.typeName) found") }
                    return t
                }.joined(separator: s), line: line)
            }
        case "isdecimal": return { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal }) }
        case "isdigit": return { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { [.decimal, .digit].contains($0.properties.numericType) }) }
        case "isnumeric": return { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil }) }
        case "isalpha": return { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic }) }
        case "isalnum": return { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }) }
        case "isspace": return { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(isPythonWhitespace)) }
        case "islower", "isupper":
            return { _ in
                let cased = s.unicodeScalars.filter { $0.properties.isCased }
                return .bool(!cased.isEmpty && cased.allSatisfy { name == "islower" ? $0.properties.isLowercase : $0.properties.isUppercase })
            }
        case "removeprefix", "removesuffix":
            return { args in
                guard case let .string(affix)? = args.value(0, "affix") else { throw JinjaError(.type, line: line, "\(name)() argument must be str") }
                let all = scalars(), a = Array(affix.unicodeScalars)
                if name == "removeprefix", all.starts(with: a) { return .string(String(String.UnicodeScalarView(all.dropFirst(a.count)))) }
                if name == "removesuffix", !a.isEmpty, all.reversed().starts(with: a.reversed()) { return .string(String(String.UnicodeScalarView(all.dropLast(a.count)))) }
                return .string(s)
            }
        case "center", "ljust", "rjust", "zfill":
            return { args in
                guard let width = args.value(0, "width")?.integer else { throw JinjaError(.type, line: line, "\(name)() needs an integer width") }
                let count = s.unicodeScalars.count
                guard width > count else { return .string(s) }
                try self.spend(width - count, line: line)
                var fill = "0"
                if name != "zfill" {
                    switch args.value(1, "fillchar") {
                    case nil: fill = " "
                    case let .string(f)? where f.unicodeScalars.count == 1: fill = f
                    default: throw JinjaError(.type, line: line, "The fill character must be exactly one character long")
                    }
                }
                let margin = width - count
                switch name {
                case "ljust": return .string(s + String(repeating: fill, count: margin))
                case "rjust": return .string(String(repeating: fill, count: margin) + s)
                case "zfill":
                    if let sign = s.first, sign == "-" || sign == "+" { return .string(String(sign) + String(repeating: "0", count: margin) + s.dropFirst()) }
                    return .string(String(repeating: "0", count: margin) + s)
                default:
                    let left = margin / 2 + (margin & width & 1)
                    return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: margin - left))
                }
            }
        case "partition", "rpartition":
            return { args in
                guard case let .string(sep)? = args.value(0, "sep"), !sep.isEmpty else { throw JinjaError(.type, line: line, "\(name)() needs a non-empty separator") }
                let parts = pythonSplit(s, sep, maxSplit: 1, fromRight: name == "rpartition")
                if parts.count == 2 { return .tuple([.string(parts[0]), .string(sep), .string(parts[1])]) }
                return name == "partition" ? .tuple([.string(s), "", ""]) : .tuple(["", "", .string(s)])
            }
        default: return nil
        }
    }

    private func dictMethod(_ d: JinjaDict, _ name: String, line: Int) -> ((JinjaArguments) throws -> JinjaValue)? {
        switch name {
        case "get":
            return { args in
                guard let key = args.value(0, "key") else { throw JinjaError(.type, line: line, "get expected at least 1 argument, got 0") }
                return d[key] ?? args.value(1, "default") ?? .none
            }
        case "items": return { _ in .list(d.pairs.map { .tuple([$0, $1]) }) }
        case "keys": return { _ in .list(d.keys) }
        case "values": return { _ in .list(d.values) }
        case "copy": return { _ in .dict(d) }
        case "clear", "pop", "popitem", "setdefault", "update": return refused(name, "dict", line: line)
        default: return nil
        }
    }

    private func sequenceMethod(_ items: [JinjaValue], _ name: String, isList: Bool, line: Int) -> ((JinjaArguments) throws -> JinjaValue)? {
        switch name {
        case "index":
            return { args in
                guard let x = args.value(0, "value"), let i = items.firstIndex(where: { $0.pythonEquals(x) }) else {
                    throw JinjaError(.type, line: line, "value is not in \(isList ? "list" : "tuple")")
                }
                return .int(i)
            }
        case "count":
            return { args in
                guard let x = args.value(0, "value") else { throw JinjaError(.type, line: line, "count() takes exactly one argument (0 given)") }
                return .int(items.filter { $0.pythonEquals(x) }.count)
            }
        case "copy" where isList: return { _ in .list(items) }
        case "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear":
            return isList ? refused(name, "list", line: line) : nil
        default: return nil
        }
    }

    /// str.format: `{}`, `{0}`, `{name}`, `{0!r}`, `{{` and `}}`; format specs other than empty are refused.
    func pythonFormat(_ format: String, _ args: JinjaArguments, line: Int) throws -> String {
        var out = ""
        var automatic = 0
        let chars = Array(format.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "}" {
                guard i + 1 < chars.count, chars[i + 1] == "}" else { throw JinjaError(.type, line: line, "Single '}' encountered in format string") }
                out += "}"
                i += 2
                continue
            }
            guard c == "{" else { out.unicodeScalars.append(c); i += 1; continue }
            if i + 1 < chars.count, chars[i + 1] == "{" { out += "{"; i += 2; continue }
            guard let close = chars[(i + 1)...].firstIndex(of: "}") else { throw JinjaError(.type, line: line, "Single '{' encountered in format string") }
            var field = String(String.UnicodeScalarView(chars[(i + 1)..<close]))
            i = close + 1
            var conversion: Character? = nil
            if let bang = field.firstIndex(of: "!") {
                conversion = field[field.index(after: bang)...].first
                field = String(field[..<bang])
            }
            var spec = ""
            if let colon = field.firstIndex(of: ":") {
                spec = String(field[field.index(after: colon)...])
                field = String(field[..<colon])
            }
            let value: JinjaValue
            if field.isEmpty {
                guard automatic < args.positional.count else { throw JinjaError(.type, line: line, "Replacement index \(automatic) out of range for positional args tuple") }
                value = args.positional[automatic]
                automatic += 1
            } else if let n = Int(field) {
                guard n >= 0, n < args.positional.count else { throw JinjaError(.type, line: line, "Replacement index \(n) out of range for positional args tuple") }
                value = args.positional[n]
            } else {
                guard let v = args.keyword.first(where: { $0.0 == field })?.1 else { throw JinjaError(.type, line: line, "KeyError: '\(field)'") }
                value = v
            }
            let converted: JinjaValue = conversion == "r" ? .string(try repr(value, line: line)) : conversion == "s" ? .string(try str(value, line: line)) : value
            out += try pythonFormatSpec(converted, spec, line: line)
        }
        return out
    }

    /// format(value, spec) for the specs templates write: [[fill]align][sign][0][width][.precision][s|d|f|%].
    func pythonFormatSpec(_ value: JinjaValue, _ spec: String, line: Int) throws -> String {
        if spec.isEmpty { return try str(value, line: line) }
        var chars = Array(spec)
        var fill: Character = " "
        var align: Character? = nil
        if chars.count >= 2, "<>^=".contains(chars[1]) { fill = chars[0]; align = chars[1]; chars.removeFirst(2) }
        else if let first = chars.first, "<>^=".contains(first) { align = first; chars.removeFirst() }
        var sign: Character = "-"
        if let first = chars.first, "+- ".contains(first) { sign = first; chars.removeFirst() }
        if chars.first == "0", align == nil { fill = "0"; align = "="; chars.removeFirst() }
        var widthText = ""
        while let c = chars.first, c.isASCII, c.isNumber { widthText.append(c); chars.removeFirst() }
        var precision: Int? = nil
        if chars.first == "." {
            chars.removeFirst()
            var p = ""
            while let c = chars.first, c.isASCII, c.isNumber { p.append(c); chars.removeFirst() }
            precision = Int(p)
        }
        let type = chars.first
        guard chars.count <= 1, let width = widthText.isEmpty ? 0 : Int(widthText), width <= 1_000_000, (precision ?? 0) <= 1000 else {
            throw JinjaError(.unsupported, line: line, "the format spec '\(spec)' is not supported (widths up to 1,000,000, precisions up to 1000)")
        }
        try spend(width, line: line)
        var body: String
        var negative = false
        switch (type, value) {
        case (nil, .string(let s)), ("s", .string(let s)):
            body = precision.map { String(s.unicodeScalars.prefix($0).map(Character.init)) } ?? s
        case ("d", _) where value.integer != nil, (nil, _) where value.integer != nil:
            let i = value.integer!
            negative = i < 0
            body = String(i.magnitude)
        case ("f", _) where value.numeric != nil, ("%", _) where value.numeric != nil, (nil, .float):
            let x = value.numeric! * (type == "%" ? 100 : 1)
            negative = x < 0 || (x == 0 && x.sign == .minus)
            body = type == nil && precision == nil ? pythonFloatRepr(abs(x)) : String(format: "%.\(precision ?? 6)f", abs(x)) + (type == "%" ? "%" : "")
        default:
            throw JinjaError(.unsupported, line: line, "the format spec '\(spec)' is not supported for \(value.typeName)")
        }
        let signText = negative ? "-" : (sign == "+" ? "+" : sign == " " ? " " : "")
        let numeric: Bool
        if case .string = value { numeric = false } else { numeric = true }
        let padding = max(0, width - signText.count - body.count)
        let pad = String(repeating: fill, count: padding)
        switch align ?? (numeric ? ">" : "<") {
        case "<": return signText + body + pad
        case "^": return String(pad.prefix(padding / 2)) + signText + body + String(pad.prefix(padding - padding / 2))
        case "=": return signText + pad + body
        default: return pad + signText + body
        }
    }
}

/// Python's slice rule for str methods' (start, end): negatives count from the end; the end is clamped
/// to the string, the start only from below (a start past the end finds nothing).
private func sliceBounds(_ args: JinjaArguments, _ count: Int) -> (Int, Int) {
    func adjusted(_ v: JinjaValue?, _ fallback: Int) -> Int {
        guard let i = v?.integer else { return fallback }
        return i < 0 ? max(i + count, 0) : i
    }
    return (adjusted(args.value(1, "start"), 0), min(adjusted(args.value(2, "end"), count), count))
}
