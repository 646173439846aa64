// JinjaOperators.swift: what Jinja2's operators, attribute access and subscripts do with Python values:
// int arithmetic stays int (overflow is an error here, not a big int), `/` is true division, `//` and `%`
// floor, strings and lists concatenate and repeat, comparisons refuse mixed types, `a.b` tries the
// method or attribute first and then the item, `a[b]` the item first.
import Foundation

extension JinjaRenderer {
    func negate(_ v: JinjaValue, line: Int) throws -> JinjaValue {
        switch v {
        case let .bool(b): return .int(b ? -1 : 0)
        case let .int(i):
            guard i != Int.min else { throw JinjaError(.limit, line: line, "integer overflow") }
            return .int(-i)
        case let .float(d): return .float(-d)
        case let .undefined(message): throw JinjaError(.undefined, line: line, message)
        default: throw JinjaError(.type, line: line, "bad operand type for unary -: '\(v.typeName)'")
        }
    }

    private func unsupported(_ op: String, _ a: JinjaValue, _ b: JinjaValue, line: Int) -> JinjaError {
        if case let .undefined(message) = a { return JinjaError(.undefined, line: line, message) }
        if case let .undefined(message) = b { return JinjaError(.undefined, line: line, message) }
        return JinjaError(.type, line: line, "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    private func checked(_ result: (partialValue: Int, overflow: Bool), line: Int) throws -> JinjaValue {
        guard !result.overflow else { throw JinjaError(.limit, line: line, "integer overflow") }
        return .int(result.partialValue)
    }

    /// `[..] * n`: n copies, counted against the iteration bound.
    private func repeated(_ c: [JinjaValue], _ n: Int, line: Int) throws -> [JinjaValue] {
        guard n > 0, !c.isEmpty else { return [] }
        let (units, overflow) = c.count.multipliedReportingOverflow(by: n)
        try spend(overflow ? -1 : units, line: line)
        var out: [JinjaValue] = []
        out.reserveCapacity(units)
        for _ in 0..<n { out.append(contentsOf: c) }
        return out
    }

    /// `s * n`: counted as n x len(s) units of work, and within the longest string a template may build.
    private func repeatedString(_ s: String, _ n: Int, line: Int) throws -> JinjaValue {
        guard n > 0, !s.isEmpty else { return .string("") }
        let (units, overflow) = s.unicodeScalars.count.multipliedReportingOverflow(by: n)
        try spend(overflow ? -1 : units, line: line)
        guard s.utf8.count.multipliedReportingOverflow(by: n).partialValue <= options.maxOutputBytes else {
            throw JinjaError(.limit, line: line, "the template built a string longer than \(options.maxOutputBytes) bytes")
        }
        return .string(String(repeating: s, count: n))
    }

    func binary(_ op: JinjaOperator, _ a: JinjaValue, _ b: JinjaValue, line: Int) throws -> JinjaValue {
        // Markup + str escapes the plain string, whichever side it is on; the result is Markup
        switch (op, a, b) {
        case let (.add, .markup(x), .markup(y)): return .markup(x + y)
        case let (.add, .markup(x), .string(y)): return .markup(x + htmlEscaped(y))
        case let (.add, .string(x), .markup(y)): return .markup(htmlEscaped(x) + y)
        default: break
        }
        let a = a.demarked, b = b.demarked
        switch op {
        case .concat:
            return try checkedString(try str(a, line: line) + str(b, line: line), line: line)
        case .in, .notIn, .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return .bool(try compare(op, a, b, line: line))
        case .add:
            switch (a, b) {
            case let (.string(x), .string(y)): return try checkedString(x + y, line: line)
            case let (.list(x), .list(y)): return try checkedNesting(.list(try checkedList(x + y, line: line)), line: line)
            case let (.tuple(x), .tuple(y)): return try checkedNesting(.tuple(try checkedList(x + y, line: line)), line: line)
            default:
                if let x = a.integer, let y = b.integer { return try checked(x.addingReportingOverflow(y), line: line) }
                if let x = a.numeric, let y = b.numeric { return .float(x + y) }
                if case .string = a, b.numeric != nil { throw JinjaError(.type, line: line, "can only concatenate str (not \"\(b.typeName)\") to str") }
                throw unsupported("+", a, b, line: line)
            }
        case .subtract:
            if let x = a.integer, let y = b.integer { return try checked(x.subtractingReportingOverflow(y), line: line) }
            if let x = a.numeric, let y = b.numeric { return .float(x - y) }
            throw unsupported("-", a, b, line: line)
        case .multiply:
            switch (a, b) {
            case let (.string(s), n) where n.integer != nil: return try repeatedString(s, n.integer!, line: line)
            case let (n, .string(s)) where n.integer != nil: return try repeatedString(s, n.integer!, line: line)
            // the copies share their items: the nesting walk counts them all, so printing stays bounded
            case let (.list(l), n) where n.integer != nil: return try checkedNesting(.list(try repeated(l, n.integer!, line: line)), line: line)
            case let (n, .list(l)) where n.integer != nil: return try checkedNesting(.list(try repeated(l, n.integer!, line: line)), line: line)
            default:
                if let x = a.integer, let y = b.integer { return try checked(x.multipliedReportingOverflow(by: y), line: line) }
                if let x = a.numeric, let y = b.numeric { return .float(x * y) }
                throw unsupported("*", a, b, line: line)
            }
        case .divide:
            guard let x = a.numeric, let y = b.numeric else { throw unsupported("/", a, b, line: line) }
            guard y != 0 else { throw JinjaError(.type, line: line, "division by zero") }
            return .float(x / y)
        case .floorDivide, .modulo:
            if let x = a.integer, let y = b.integer {
                guard y != 0 else { throw JinjaError(.type, line: line, "integer division or modulo by zero") }
                guard !(x == Int.min && y == -1) else { throw JinjaError(.limit, line: line, "integer overflow") }
                var q = x / y
                var r = x % y
                if r != 0, (r < 0) != (y < 0) { q -= 1; r += y }
                return .int(op == .floorDivide ? q : r)
            }
            if op == .modulo, case let .string(format) = a { return .string(try percentFormat(format, b, line: line)) }
            guard let x = a.numeric, let y = b.numeric else { throw unsupported(op.rawValue, a, b, line: line) }
            guard y != 0 else { throw JinjaError(.type, line: line, "float floor division by zero") }
            let q = (x / y).rounded(.down)
            if op == .floorDivide { return .float(q) }
            let r = x - q * y
            return .float(r == 0 ? (y < 0 ? -0.0 : 0.0) : r)
        case .power:
            if let x = a.integer, let y = b.integer, y >= 0 {
                // square and multiply; once a square is needed, its overflow means the result's
                var result = 1, base = x, e = y
                while e > 0 {
                    if e & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base), line: line).integer ?? 0 }
                    e >>= 1
                    if e > 0 { base = try checked(base.multipliedReportingOverflow(by: base), line: line).integer ?? 0 }
                }
                return .int(result)
            }
            if let x = a.numeric, let y = b.numeric {
                if x == 0, y < 0 { throw JinjaError(.type, line: line, "0.0 cannot be raised to a negative power") }
                if x < 0, y != y.rounded() { throw JinjaError(.unsupported, line: line, "a negative number to a fractional power is complex") }
                return .float(pow(x, y))
            }
            throw unsupported("** or pow()", a, b, line: line)
        }
    }

    /// `'%s and %5.2f' % (a, b)` and `'%(name)s' % {...}`: printf-style formatting of s, r, d, i and f
    /// with flags (- + space 0), width and precision, and %%.
    private func percentFormat(_ format: String, _ args: JinjaValue, line: Int) throws -> String {
        var values: [JinjaValue]
        if case let .tuple(items) = args { values = items } else { values = [args] }
        var out = ""
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var value: JinjaValue? = nil
            if chars.first == "(" {
                guard let close = chars.firstIndex(of: ")"), case let .dict(d) = args else {
                    throw JinjaError(.type, line: line, "format requires a mapping")
                }
                let key = String(chars[chars.index(after: chars.startIndex)..<close])
                guard let v = d[key] else { throw JinjaError(.type, line: line, "KeyError: '\(key)'") }
                value = v
                chars = chars[chars.index(after: close)...]
            }
            var spec = ""       // the same conversion as a str.format spec
            var align = "", sign = "", zero = ""
            while let f = chars.first, "-+ 0#".contains(f) {
                switch f {
                case "-": align = "<"
                case "+": sign = "+"
                case " ": if sign.isEmpty { sign = " " }
                case "0": zero = "0"
                default: break
                }
                chars.removeFirst()
            }
            while let d = chars.first, d.isASCII, d.isNumber { spec.append(d); chars.removeFirst() }
            if chars.first == "." {
                spec.append(chars.removeFirst())
                while let d = chars.first, d.isASCII, d.isNumber { spec.append(d); chars.removeFirst() }
            }
            guard let conversion = chars.popFirst() else { throw JinjaError(.type, line: line, "incomplete format") }
            if conversion == "%" { out.append("%"); continue }
            if value == nil {
                guard !values.isEmpty else { throw JinjaError(.type, line: line, "not enough arguments for format string") }
                value = values.removeFirst()
            }
            let v = value ?? .none
            let converted: JinjaValue
            switch conversion {
            case "s": converted = .string(try str(v, line: line))
            case "r": converted = .string(try repr(v, line: line))
            case "d", "i":
                guard let n = v.numeric else { throw JinjaError(.type, line: line, "%\(conversion) format: a real number is required, not \(v.typeName)") }
                guard let i = v.integer ?? (n.isFinite && abs(n) < 9.2e18 ? Int(n.rounded(.towardZero)) : nil) else {
                    throw JinjaError(.limit, line: line, "%\(conversion) format: \(n) does not fit in a 64-bit integer")
                }
                converted = .int(i)
            case "f":
                guard let n = v.numeric else { throw JinjaError(.type, line: line, "must be real number, not \(v.typeName)") }
                converted = .float(n)
                if !spec.contains(".") { spec += ".6" }
            default: throw JinjaError(.unsupported, line: line, "the %\(conversion) conversion is not supported")
            }
            let numeric = conversion != "s" && conversion != "r"
            let alignment = !align.isEmpty ? align : (!zero.isEmpty && numeric ? "0=" : ">")     // printf right-aligns
            let type = conversion == "f" ? "f" : (conversion == "d" || conversion == "i" ? "d" : "")
            out += try pythonFormatSpec(converted, alignment + (numeric ? sign : "") + spec + type, line: line)
        }
        let isMapping: Bool
        if case .dict = args { isMapping = true } else { isMapping = false }
        guard values.isEmpty || isMapping else {
            throw JinjaError(.type, line: line, "not all arguments converted during string formatting")
        }
        return out
    }

    /// `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue, line: Int) throws -> Bool {
        let container = container.demarked, needle = needle.demarked
        switch container {
        case let .string(s):
            guard case let .string(n) = needle else { throw JinjaError(.type, line: line, "'in <string>' requires string as left operand, not \(needle.typeName)") }
            return scalarContains(n, in: s)
        case let .list(items), let .tuple(items), let .iterator(items): return items.contains { $0.pythonEquals(needle) }
        case let .dict(d): return d[needle] != nil
        case .undefined: return false
        default: throw JinjaError(.type, line: line, "argument of type '\(container.typeName)' is not iterable")
        }
    }

    func compare(_ op: JinjaOperator, _ a: JinjaValue, _ b: JinjaValue, line: Int) throws -> Bool {
        switch op {
        case .equal: return a.pythonEquals(b)
        case .notEqual: return !a.pythonEquals(b)
        case .in: return try contains(b, a, line: line)
        case .notIn: return try !contains(b, a, line: line)
        case .less: return try pythonOrder(a, b, op: op, line: line) < 0
        case .lessOrEqual: return try pythonOrder(a, b, op: op, line: line) <= 0
        case .greater: return try pythonOrder(a, b, op: op, line: line) > 0
        case .greaterOrEqual: return try pythonOrder(a, b, op: op, line: line) >= 0
        default: throw JinjaError(.type, line: line, "'\(op.rawValue)' is not a comparison")
        }
    }

    /// -1, 0 or 1 as Python orders the two values; mixed types are a TypeError.
    func pythonOrder(_ a: JinjaValue, _ b: JinjaValue, op: JinjaOperator, line: Int) throws -> Int {
        switch (a.demarked, b.demarked) {
        case let (.string(x), .string(y)):
            if sameScalars(x, y) { return 0 }
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1     // UTF-8 order is code point order
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            if sameStorage(x, y) { return 0 }
            for (p, q) in zip(x, y) where !p.pythonEquals(q) { return try pythonOrder(p, q, op: op, line: line) }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            if let x = a.integer, let y = b.integer { return x == y ? 0 : (x < y ? -1 : 1) }
            if let x = a.numeric, let y = b.numeric { return x == y ? 0 : (x < y ? -1 : 1) }
            if case let .undefined(message) = a { throw JinjaError(.undefined, line: line, message) }
            if case let .undefined(message) = b { throw JinjaError(.undefined, line: line, message) }
            throw JinjaError(.type, line: line, "'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// `value.name`: a method or attribute first, then the item (Jinja2's getattr).
    func attribute(of value: JinjaValue, _ name: String, mayBeMethod: Bool = true, line: Int) throws -> JinjaValue {
        let value = value.demarked
        if case let .undefined(message) = value { throw JinjaError(.undefined, line: line, message) }
        if mayBeMethod, let method = try boundMethod(of: value, name, line: line) { return method }
        switch value {
        case let .dict(d):
            if let v = d[name] { return v }
        case let .namespace(n):
            if let v = n.attributes[name] { return v }
        case let .loop(loop):
            if let v = loopAttribute(loop, name) { return v }
        default: break
        }
        return .undefined(missingMessage(value, name))
    }

    private func missingMessage(_ value: JinjaValue, _ name: String) -> String {
        if case .none = value { return "'None' has no attribute '\(name)'" }
        return "'\(value.typeName) object' has no attribute '\(name)'"
    }

    /// `value[key]`: the item first, then (for a string key) the attribute (Jinja2's getitem).
    func item(of value: JinjaValue, _ key: JinjaValue, line: Int) throws -> JinjaValue {
        let value = value.demarked, key = key.demarked
        switch value {
        case let .undefined(message): throw JinjaError(.undefined, line: line, message)
        case let .dict(d):
            if let v = d[key] { return v }
        case let .list(items), let .tuple(items):
            if let i = key.integer {
                let j = i < 0 ? i + items.count : i
                if j >= 0 && j < items.count { return items[j] }
            }
        case let .string(s):
            if let i = key.integer {
                let scalars = Array(s.unicodeScalars)
                let j = i < 0 ? i + scalars.count : i
                if j >= 0 && j < scalars.count { return .string(String(scalars[j])) }
            }
        case let .namespace(n):
            if let v = n.attributes[key] { return v }
        case let .loop(loop):
            if case let .string(name) = key, let v = loopAttribute(loop, name) { return v }
        default: break
        }
        if case let .string(name) = key, let method = try boundMethod(of: value, name, line: line) { return method }
        if case let .string(name) = key { return .undefined(missingMessage(value, name)) }
        return .undefined("'\(value.typeName) object' has no element of type \(key.typeName)")
    }

    /// Python slicing `value[start:stop:step]` of a list, tuple or string.
    func slice(_ value: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?, line: Int) throws -> JinjaValue {
        let value = value.demarked
        func bound(_ v: JinjaValue?) throws -> Int? {
            guard let v, !(v == .none) else { return nil }
            guard let i = v.integer else { throw JinjaError(.type, line: line, "slice indices must be integers or None") }
            return i
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw JinjaError(.type, line: line, "slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += count }
                return min(max(i, low), high)
            }
            if step > 0 {
                let a = clamp(try bound(start), 0, low: 0, high: count)
                let b = clamp(try bound(stop), count, low: 0, high: count)
                return a < b ? Array(stride(from: a, to: b, by: step)) : []
            }
            let a = clamp(try bound(start), count - 1, low: -1, high: count - 1)
            let b = clamp(try bound(stop), -1, low: -1, high: count - 1)
            return a > b ? Array(stride(from: a, to: b, by: step)) : []
        }
        switch value {
        case let .list(items): return .list(try indices(items.count).map { items[$0] })
        case let .tuple(items): return .tuple(try indices(items.count).map { items[$0] })
        case let .string(s):
            let scalars = Array(s.unicodeScalars)
            var view = String.UnicodeScalarView()
            for i in try indices(scalars.count) { view.append(scalars[i]) }
            return .string(String(view))
        case let .undefined(message): throw JinjaError(.undefined, line: line, message)
        default: throw JinjaError(.type, line: line, "'\(value.typeName)' object is not subscriptable")
        }
    }

    func loopAttribute(_ loop: JinjaLoop, _ name: String) -> JinjaValue? {
        let n = loop.items.count
        let i = loop.index0
        switch name {
        case "index": return .int(i + 1)
        case "index0": return .int(i)
        case "revindex": return .int(n - i)
        case "revindex0": return .int(n - i - 1)
        case "first": return .bool(i == 0)
        case "last": return .bool(i == n - 1)
        case "length": return .int(n)
        case "depth": return .int(loop.depth0 + 1)
        case "depth0": return .int(loop.depth0)
        case "previtem": return i > 0 ? loop.items[i - 1] : .undefined("there is no previous item")
        case "nextitem": return i + 1 < n ? loop.items[i + 1] : .undefined("there is no next item")
        case "cycle":
            return .callable(JinjaCallable("cycle") { args, _ in
                guard !args.positional.isEmpty else { throw JinjaError(.type, line: 0, "no items for cycling given") }
                return args.positional[i % args.positional.count]
            })
        default: return nil
        }
    }
}

/// Whether `needle` occurs in `haystack`, by Unicode scalars (Python's `in`): a search over UTF-8
/// bytes, which finds exactly the scalar matches.
func scalarContains(_ needle: String, in haystack: String) -> Bool {
    let n = Array(needle.utf8)
    guard !n.isEmpty else { return true }
    let h = Array(haystack.utf8)
    guard n.count <= h.count else { return false }
    for i in 0...(h.count - n.count) where h[i] == n[0] && h[i..<i + n.count].elementsEqual(n) { return true }
    return false
}
