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

    /// `s * n` / `[..] * n`: n copies, counted against the iteration bound.
    private func repeated<C: RangeReplaceableCollection>(_ c: C, _ n: Int, line: Int) throws -> C {
        guard n > 0 else { return C() }
        try spend(c.count.multipliedReportingOverflow(by: n).overflow ? -1 : c.count * n, line: line)
        var out = C()
        for _ in 0..<n { out.append(contentsOf: c) }
        return out
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
            return .string(a.pythonString + b.pythonString)
        case .in, .notIn, .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return .bool(try compare(op, a, b, line: line))
        case .add:
            switch (a, b) {
            case let (.string(x), .string(y)): return .string(x + y)
            case let (.list(x), .list(y)): return .list(x + y)
            case let (.tuple(x), .tuple(y)): return .tuple(x + y)
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
            case let (.string(s), n) where n.integer != nil: return .string(String(try repeated(s.unicodeScalars, n.integer!, line: line)))
            case let (n, .string(s)) where n.integer != nil: return .string(String(try repeated(s.unicodeScalars, n.integer!, line: line)))
            case let (.list(l), n) where n.integer != nil: return .list(try repeated(l, n.integer!, line: line))
            case let (n, .list(l)) where n.integer != nil: return .list(try repeated(l, n.integer!, line: line))
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
            if let x = a.numeric, let y = b.numeric { return .float(pow(x, y)) }
            throw unsupported("** or pow()", a, b, line: line)
        }
    }

    /// `'%s and %d' % (a, b)`: printf-style formatting with s, r, d, i, f and %%.
    private func percentFormat(_ format: String, _ args: JinjaValue, line: Int) throws -> String {
        var values: [JinjaValue]
        if case let .tuple(items) = args { values = items } else { values = [args] }
        var out = ""
        var it = format.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.append(c); continue }
            guard let spec = it.next() else { throw JinjaError(.type, line: line, "incomplete format") }
            if spec == "%" { out.append("%"); continue }
            guard !values.isEmpty else { throw JinjaError(.type, line: line, "not enough arguments for format string") }
            let v = values.removeFirst()
            switch spec {
            case "s": out += v.pythonString
            case "r": out += v.pythonRepr
            case "d", "i":
                guard let n = v.numeric else { throw JinjaError(.type, line: line, "%\(spec) format: a real number is required, not \(v.typeName)") }
                out += String(v.integer ?? Int(n.rounded(.towardZero)))
            case "f":
                guard let n = v.numeric else { throw JinjaError(.type, line: line, "must be real number, not \(v.typeName)") }
                out += String(format: "%.6f", n)
            default: throw JinjaError(.unsupported, line: line, "the %\(spec) conversion is not supported")
            }
        }
        guard values.isEmpty else { throw JinjaError(.type, line: line, "not all arguments converted during string formatting") }
        return out
    }

    /// `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue, line: Int) throws -> Bool {
        let container = container.demarked, needle = needle.demarked
        switch container {
        case let .string(s):
            guard case let .string(n) = needle else { throw JinjaError(.type, line: line, "'in <string>' requires string as left operand, not \(needle.typeName)") }
            return n.isEmpty || scalarRange(of: n, in: s) != nil
        case let .list(items), let .tuple(items), let .iterator(items): return items.contains { $0.pythonEquals(needle) }
        case let .dict(d): return d[needle] != nil
        case let .namespace(n): return n.attributes[needle] != nil
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
        return .undefined("'\(value.typeName) object' has no attribute \(key.pythonRepr)")
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

/// Where `needle` first occurs in `haystack`, by Unicode scalars (Python's str.find), as scalar offsets.
func scalarRange(of needle: String, in haystack: String, from start: Int = 0) -> Range<Int>? {
    let h = Array(haystack.unicodeScalars)
    let n = Array(needle.unicodeScalars)
    guard n.count <= h.count, start <= h.count - n.count else { return nil }
    if n.isEmpty { return start..<start }
    var i = start
    while i <= h.count - n.count {
        if h[i] == n[0], h[i..<i + n.count].elementsEqual(n) { return i..<i + n.count }
        i += 1
    }
    return nil
}
