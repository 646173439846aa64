// JinjaRenderer.swift: one render of a parsed template: statements (text, output, if, for with Jinja2's
// per-iteration scopes and loop controls, set, macros, filter blocks) and expressions, within the bounds
// of JinjaBounds.swift.
import Foundation

/// One render: the output, the current scope and the work done so far.
final class JinjaRenderer {
    enum Flow { case normal, breakLoop, continueLoop }

    let options: JinjaRenderOptions
    var output = ""
    var scope: JinjaScope
    private var outputBytes = 0
    /// units of work spent (JinjaBounds.swift)
    var work = 0
    var callDepth = 0
    private var loopDepth = 0
    /// execute/evaluate/applyFilter frames open now
    var renderDepth = 0
    let stack = StackGuard()
    /// container items visited by nesting checks: their own budget (50 x maxIterations), so an
    /// ordinary accumulator in a namespace is not mistaken for runaway work
    var nestingVisits = 0
    /// Namespaces and macro frames made by this render: they can hold themselves (a macro is stored in
    /// the scope it captures), so the render empties them when it ends.
    var namespaces: [JinjaNamespace] = []
    var macroScopes: [JinjaMacroScope] = []

    init(options: JinjaRenderOptions, variables: [String: JinjaValue]) {
        self.options = options
        let globals = JinjaScope(jinjaGlobals(), parent: nil)
        scope = JinjaScope(variables, parent: globals)
    }

    func write(_ text: String, line: Int) throws {
        outputBytes += text.utf8.count
        if outputBytes > options.maxOutputBytes {
            throw JinjaError(.limit, line: line, "the template wrote more than \(options.maxOutputBytes) bytes")
        }
        output += text
    }

    /// Runs `body` writing into a fresh buffer and returns that text (macros, block set, filter blocks).
    func capture(_ body: () throws -> Void) rethrows -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try body()
        return output
    }

    /// Runs `body` with `inner` as the current scope.
    func within<T>(_ inner: JinjaScope, _ body: () throws -> T) rethrows -> T {
        let saved = scope
        scope = inner
        defer { scope = saved }
        return try body()
    }

    // MARK: statements

    func execute(_ statements: [JinjaStatement]) throws -> Flow {
        for statement in statements {
            let flow = try execute(statement)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ statement: JinjaStatement) throws -> Flow {
        try nested(line: statement.line) { try executeNested(statement) }
    }

    private func executeNested(_ statement: JinjaStatement) throws -> Flow {
        let line = statement.line
        switch statement.kind {
        case let .text(text):
            try write(text, line: line)
        case let .output(e):
            try write(try str(try evaluate(e), line: line), line: line)
        case let .ifChain(branches, otherwise):
            for branch in branches where try evaluate(branch.condition).isTruthy {
                return try execute(branch.body)
            }
            return try execute(otherwise)
        case let .forLoop(target, iterable, filter, body, otherwise):
            return try runLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
        case let .set(target, e):
            try bind(target, try evaluate(e), in: scope, line: line)
        case let .setBlock(target, filters, body):
            var value = JinjaValue.string(try capture { _ = try execute(body) })
            for (name, args) in filters { value = try applyFilter(name, value, try evaluate(args), line: line) }
            try bind(target, value, in: scope, line: line)
        case let .macro(definition):
            scope.names[definition.name] = .callable(makeMacro(definition, definedIn: scope, line: line))
        case let .filterBlock(filters, body):
            var value = JinjaValue.string(try capture { _ = try execute(body) })
            for (name, args) in filters { value = try applyFilter(name, value, try evaluate(args), line: line) }
            try write(try str(value, line: line), line: line)
        case let .generation(body):
            return try execute(body)
        case .breakLoop:
            guard loopDepth > 0 else { throw JinjaError(.syntax, line: line, "'break' outside of a loop") }
            return .breakLoop
        case .continueLoop:
            guard loopDepth > 0 else { throw JinjaError(.syntax, line: line, "'continue' outside of a loop") }
            return .continueLoop
        }
        return .normal
    }

    /// A for loop: every iteration runs in a fresh scope inside the enclosing one, so a `set` in the
    /// body lasts for that iteration only (Jinja2's scoping; namespaces carry values across).
    private func runLoop(target: JinjaTarget, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaStatement],
                         otherwise: [JinjaStatement], line: Int) throws -> Flow {
        var items = try evaluate(iterable).iterated(line: iterable.line)
        if let filter {
            items = try items.filter { item in
                let s = JinjaScope(parent: scope)
                try bind(target, item, in: s, line: line)
                return try within(s) { try evaluate(filter).isTruthy }
            }
        }
        let loop = JinjaLoop(items: items, depth0: loopDepth)
        loopDepth += 1
        defer { loopDepth -= 1 }
        var completedAnIteration = false
        for (i, item) in items.enumerated() {
            try spend(1, line: line)
            loop.index0 = i
            let s = JinjaScope(["loop": .loop(loop)], parent: scope)
            try bind(target, item, in: s, line: line)
            let flow = try within(s) { try execute(body) }
            if flow == .breakLoop { break }
            if flow == .normal { completedAnIteration = true }
        }
        if !completedAnIteration { return try execute(otherwise) }
        return .normal
    }

    private func bind(_ target: JinjaTarget, _ value: JinjaValue, in s: JinjaScope, line: Int) throws {
        switch target {
        case let .name(name): s.names[name] = value
        case let .tuple(targets):
            let items = try value.iterated(line: line)
            guard items.count == targets.count else {
                throw JinjaError(.type, line: line, items.count > targets.count ? "too many values to unpack (expected \(targets.count))" : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (t, v) in zip(targets, items) { try bind(t, v, in: s, line: line) }
        case let .attribute(namespace, attribute):
            guard case let .namespace(ns)? = scope.lookup(namespace) else {
                throw JinjaError(.type, line: line, "cannot assign attribute on non-namespace object")
            }
            // values carried across loop iterations live in namespaces: the one place they can grow deep
            let previous = ns.attributes[attribute]
            ns.attributes[attribute] = value
            do {
                try checkNesting(.namespace(ns), line: line)
            } catch {
                ns.attributes[attribute] = previous
                throw error
            }
        }
    }

    private func makeMacro(_ m: JinjaMacroDefinition, definedIn definingScope: JinjaScope, line: Int) -> JinjaCallable {
        let captured = JinjaMacroScope(definingScope)
        macroScopes.append(captured)
        return JinjaCallable(m.name) { args, renderer in
            // bounds first: evaluating a default may call the macro again
            try renderer.spend(1, line: line)
            renderer.callDepth += 1
            defer { renderer.callDepth -= 1 }
            guard renderer.callDepth <= renderer.options.maxCallDepth else {
                throw JinjaError(.limit, line: line, "macro calls nested deeper than \(renderer.options.maxCallDepth)")
            }
            if args.positional.count > m.parameters.count, !m.takesVarargs {
                throw JinjaError(.type, line: line, "macro '\(m.name)' takes not more than \(m.parameters.count) argument(s)")
            }
            let frame = JinjaScope(parent: captured.scope)
            var extraKeywords = JinjaDict()
            for (name, value) in args.keyword {
                if let i = m.parameters.firstIndex(where: { $0.0 == name }) {
                    if i < args.positional.count { throw JinjaError(.type, line: line, "macro '\(m.name)' got multiple values for argument '\(name)'") }
                    frame.names[name] = value
                } else if m.takesKwargs {
                    extraKeywords[name] = value
                } else {
                    throw JinjaError(.type, line: line, "macro '\(m.name)' takes no keyword argument '\(name)'")
                }
            }
            frame.names["varargs"] = .list(Array(args.positional.dropFirst(m.parameters.count)))
            frame.names["kwargs"] = .dict(extraKeywords)
            return try renderer.within(frame) {
                for (i, (name, defaultValue)) in m.parameters.enumerated() where frame.names[name] == nil {
                    if i < args.positional.count {
                        frame.names[name] = args.positional[i]
                    } else if let defaultValue {
                        frame.names[name] = try renderer.evaluate(defaultValue)
                    } else {
                        frame.names[name] = .undefined("parameter '\(name)' was not provided")
                    }
                }
                return try renderer.callMacroBody(m.body)
            }
        }
    }

    func callMacroBody(_ body: [JinjaStatement]) throws -> JinjaValue {
        let savedLoopDepth = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoopDepth }
        return .string(try capture { _ = try execute(body) })
    }

    // MARK: expressions

    func evaluate(_ args: JinjaCallArguments) throws -> JinjaArguments {
        JinjaArguments(positional: try args.positional.map { try evaluate($0) },
                       keyword: try args.keyword.map { ($0.0, try evaluate($0.1)) })
    }

    func evaluate(_ e: JinjaExpr) throws -> JinjaValue {
        try nested(line: e.line) { try evaluateNested(e) }
    }

    private func evaluateNested(_ e: JinjaExpr) throws -> JinjaValue {
        let line = e.line
        switch e.kind {
        case let .literal(v): return v
        case let .name(name): return scope.lookup(name) ?? .undefined("'\(name)' is undefined")
        case let .list(items): return try checkedNesting(.list(try items.map { try evaluate($0) }), line: line)
        case let .tuple(items): return try checkedNesting(.tuple(try items.map { try evaluate($0) }), line: line)
        case let .dict(pairs):
            var d = JinjaDict()
            for (k, v) in pairs { d[try evaluate(k)] = try evaluate(v) }
            return try checkedNesting(.dict(d), line: line)
        case let .attribute(target, name, mayBeMethod): return try attribute(of: try evaluate(target), name, mayBeMethod: mayBeMethod, line: line)
        case let .subscript(target, key): return try item(of: try evaluate(target), try evaluate(key), line: line)
        case let .slice(target, start, stop, step):
            return try slice(try evaluate(target), start: try start.map { try evaluate($0) }, stop: try stop.map { try evaluate($0) },
                             step: try step.map { try evaluate($0) }, line: line)
        case let .call(callee, args):
            let f = try evaluate(callee)
            let arguments = try evaluate(args)
            switch f {
            case let .callable(c):
                do {
                    return try c.body(arguments, self)
                } catch let error as JinjaError where error.line == 0 {
                    throw JinjaError(error.kind, line: line, error.message)   // globals do not know the line
                }
            case let .undefined(message): throw JinjaError(.undefined, line: line, message)
            default: throw JinjaError(.type, line: line, "'\(f.typeName)' object is not callable")
            }
        case let .filter(target, name, args):
            return try applyFilter(name, try evaluate(target), try evaluate(args), line: line)
        case let .test(target, name, args, negated):
            let result = try applyTest(name, try evaluate(target), try evaluate(args), line: line)
            return .bool(result != negated)
        case let .not(x): return .bool(!(try evaluate(x).isTruthy))
        case let .negate(x): return try negate(try evaluate(x), line: line)
        case let .plus(x):
            let v = try evaluate(x)
            if v.numeric != nil { return v }
            throw JinjaError(.type, line: line, "bad operand type for unary +: '\(v.typeName)'")
        case let .binary(op, a, b): return try binary(op, try evaluate(a), try evaluate(b), line: line)
        case let .and(a, b):
            let left = try evaluate(a)
            return left.isTruthy ? try evaluate(b) : left
        case let .or(a, b):
            let left = try evaluate(a)
            return left.isTruthy ? left : try evaluate(b)
        case let .compare(first, rest):
            var left = try evaluate(first)
            for (op, rightExpr) in rest {
                let right = try evaluate(rightExpr)
                guard try compare(op, left, right, line: line) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .conditional(then, condition, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map { try evaluate($0) } ?? .undefined("the inline if-expression on line \(line) evaluated to false and no else section was defined.")
        }
    }
}
