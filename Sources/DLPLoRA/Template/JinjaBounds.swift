// JinjaBounds.swift: the bounds every render keeps (work, string and list sizes, nesting of values,
// recursion depth and stack), so that no template can hang, exhaust memory or overflow the stack, and
// the namespaces and macro scopes it made are emptied when it ends (they can hold themselves).
import Foundation

extension JinjaRenderer {
    func makeNamespace(_ attributes: JinjaDict) -> JinjaValue {
        let ns = JinjaNamespace(attributes)
        namespaces.append(ns)
        return .namespace(ns)
    }

    func breakReferenceCycles() {
        for ns in namespaces { ns.attributes = JinjaDict() }
        for m in macroScopes { m.scope = nil }
        namespaces = []
        macroScopes = []
    }

    /// Refuses `value` if containers nest deeper than the bound (printing, comparing and freeing it
    /// recurse) or hold more items, shared ones counted each time, than a list may (printing a value
    /// built by sharing would take that long); the walk has its own bounded budget.
    func checkNesting(_ value: JinjaValue, line: Int) throws {
        let budget = options.maxIterations.multipliedReportingOverflow(by: 50).partialValue
        var items = 0
        func walk(_ v: JinjaValue, _ depth: Int) throws {
            guard depth <= options.maxNesting else {
                throw JinjaError(.limit, line: line, "values nest deeper than \(options.maxNesting) levels (or a namespace holds itself)")
            }
            let children: Int
            switch v {
            case let .list(a), let .tuple(a), let .iterator(a): children = a.count
            case let .dict(d): children = 2 * d.count
            case let .namespace(ns): children = ns.attributes.count
            default: return
            }
            items += children
            nestingVisits += children
            guard items <= options.maxIterations else {
                throw JinjaError(.limit, line: line, "a value holds more than \(options.maxIterations) items")
            }
            guard nestingVisits <= budget else {
                throw JinjaError(.limit, line: line, "the template rebuilt large values more than \(budget) items' worth")
            }
            switch v {
            case let .list(a), let .tuple(a), let .iterator(a): for item in a { try walk(item, depth + 1) }
            case let .dict(d): for (k, item) in d.pairs { try walk(k, depth + 1); try walk(item, depth + 1) }
            case let .namespace(ns): for item in ns.attributes.values { try walk(item, depth + 1) }
            default: break
            }
        }
        try walk(value, 0)
    }

    /// A string the template built: refused past the output bound (doubling a string in a loop would
    /// otherwise grow without limit).
    func checkedString(_ s: String, line: Int) throws -> JinjaValue {
        guard s.utf8.count <= options.maxOutputBytes else {
            throw JinjaError(.limit, line: line, "the template built a string longer than \(options.maxOutputBytes) bytes")
        }
        return .string(s)
    }

    /// str(v) within the output bound.
    func str(_ v: JinjaValue, line: Int) throws -> String { try v.pythonString(limit: options.maxOutputBytes, line: line) }

    /// repr(v) within the output bound.
    func repr(_ v: JinjaValue, line: Int) throws -> String { try v.pythonRepr(limit: options.maxOutputBytes, line: line) }

    /// A list the template built: refused past maxIterations items.
    func checkedList(_ items: [JinjaValue], line: Int) throws -> [JinjaValue] {
        guard items.count <= options.maxIterations else {
            throw JinjaError(.limit, line: line, "the template built a list of more than \(options.maxIterations) items")
        }
        return items
    }

    /// Runs one nested frame of the renderer (a statement, an expression, a filter) within the depth bound.
    @inline(__always)
    func nested<T>(line: Int, _ body: () throws -> T) throws -> T {
        renderDepth += 1
        defer { renderDepth -= 1 }
        guard renderDepth <= options.maxRenderDepth, stack.hasRoom else {
            throw JinjaError(.limit, line: line, "statements, expressions and macro calls nest deeper than \(renderDepth > options.maxRenderDepth ? "\(options.maxRenderDepth)" : "this thread's stack allows")")
        }
        return try body()
    }

    /// `value`, once `checkNesting` accepts it.
    func checkedNesting(_ value: JinjaValue, line: Int) throws -> JinjaValue {
        try checkNesting(value, line: line)
        return value
    }

    /// Counts `n` units of work against the iteration bound.
    func spend(_ n: Int, line: Int) throws {
        guard n >= 0, n <= options.maxIterations - work else {
            throw JinjaError(.limit, line: line, "the template did more than \(options.maxIterations) iterations")
        }
        work += n
    }
}
