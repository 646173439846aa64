// JinjaParser.swift: tokens -> statements, following Jinja2's grammar and operator precedence (lowest
// first: `x if c else y`, or, and, not, comparisons and `in`, + -, ~, * / // %, **, unary - +, then
// attribute/subscript/call, filters `|` and tests `is`).
import Foundation

struct JinjaParser {
    private let tokens: [JinjaToken]
    private var index = 0
    /// how often each name has been read so far (a macro takes extra arguments only if its body reads
    /// `varargs` or `kwargs`)
    private var nameReads: [String: Int] = [:]
    /// Blocks and expressions open around the current token (the parser and the renderer recurse on them).
    private var nesting = 0
    static let maxNesting = 200
    private let stack = StackGuard()

    private mutating func enter(_ line: Int) throws {
        nesting += 1
        guard nesting <= Self.maxNesting, stack.hasRoom else {
            throw JinjaError(.limit, line: line, "blocks or expressions nest deeper than \(nesting > Self.maxNesting ? "\(Self.maxNesting) levels" : "this thread's stack allows")")
        }
    }

    /// One more link of a left-deep chain (`a + b + c`, `x.a.b`, `x|f|g`): each deepens the tree the
    /// renderer recurses on, so it counts as nesting until the chain's function returns.
    private mutating func link(_ links: inout Int, _ line: Int) throws {
        try enter(line)
        links += 1
    }

    static func parse(_ tokens: [JinjaToken]) throws -> [JinjaStatement] {
        var parser = JinjaParser(tokens: tokens)
        let (body, end) = try parser.parseStatements(until: [])
        if let end { throw JinjaError(.syntax, line: end.line, "Encountered unknown tag '\(end.text)'.") }
        return body
    }

    private init(tokens: [JinjaToken]) { self.tokens = tokens }

    private var current: JinjaToken { tokens[index] }
    private var next: JinjaToken { tokens[min(index + 1, tokens.count - 1)] }

    private mutating func advance() -> JinjaToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func isOp(_ op: String) -> Bool { current.kind == .op && current.text == op }
    private func isName(_ name: String) -> Bool { current.kind == .name && current.text == name }

    private mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        _ = advance()
        return true
    }

    private mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = advance()
        return true
    }

    private func describe(_ t: JinjaToken) -> String {
        switch t.kind {
        case .end: return "end of template"
        case .blockEnd: return "end of statement block"
        case .variableEnd: return "end of print statement"
        case .name, .op: return "'\(t.text)'"
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        default: return "'\(t.text)'"
        }
    }

    private mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw JinjaError(.syntax, line: current.line, "expected token '\(op)', got \(describe(current))") }
    }

    private mutating func expectName() throws -> String {
        guard current.kind == .name else { throw JinjaError(.syntax, line: current.line, "expected a name, got \(describe(current))") }
        return advance().text
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw JinjaError(.syntax, line: current.line, "expected token 'end of statement block', got \(describe(current))") }
        _ = advance()
    }

    // MARK: statements

    /// Statements up to a `{% name %}` tag with a name in `endNames`; returns them and that tag's name
    /// token (the block end of the tag not yet consumed), or nil at the end of the template.
    private mutating func parseStatements(until endNames: Set<String>) throws -> ([JinjaStatement], JinjaToken?) {
        try enter(current.line)
        defer { nesting -= 1 }
        var body: [JinjaStatement] = []
        while true {
            let t = current
            switch t.kind {
            case .end:
                if !endNames.isEmpty {
                    throw JinjaError(.syntax, line: t.line, "Unexpected end of template. Jinja was looking for the following tags: \(endNames.sorted().map { "'\($0)'" }.joined(separator: " or ")).")
                }
                return (body, nil)
            case .text:
                _ = advance()
                body.append(JinjaStatement(kind: .text(t.text), line: t.line))
            case .variableBegin:
                _ = advance()
                let e = try parseTuple(withCondexpr: true)
                guard current.kind == .variableEnd else { throw JinjaError(.syntax, line: current.line, "expected token 'end of print statement', got \(describe(current))") }
                _ = advance()
                body.append(JinjaStatement(kind: .output(e), line: t.line))
            case .blockBegin:
                _ = advance()
                guard current.kind == .name else { throw JinjaError(.syntax, line: current.line, "tag name expected") }
                if endNames.contains(current.text) { return (body, advance()) }
                body.append(try parseTag())
            default:
                throw JinjaError(.syntax, line: t.line, "unexpected \(describe(t))")
            }
        }
    }

    private mutating func parseTag() throws -> JinjaStatement {
        let tag = advance()
        let line = tag.line
        switch tag.text {
        case "if":
            var branches: [(condition: JinjaExpr, body: [JinjaStatement])] = []
            var condition = try parseTuple(withCondexpr: false)
            while true {
                try expectBlockEnd()
                let (body, end) = try parseStatements(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                switch end?.text {
                case "elif":
                    condition = try parseTuple(withCondexpr: false)
                case "else":
                    try expectBlockEnd()
                    let (otherwise, _) = try parseStatements(until: ["endif"])
                    try expectBlockEnd()
                    return JinjaStatement(kind: .ifChain(branches, otherwise: otherwise), line: line)
                default:
                    try expectBlockEnd()
                    return JinjaStatement(kind: .ifChain(branches, otherwise: []), line: line)
                }
            }
        case "for":
            let target = try parseAssignTarget(allowNamespace: false, endNames: ["in"])
            guard skipName("in") else { throw JinjaError(.syntax, line: current.line, "expected 'in', got \(describe(current))") }
            let iterable = try parseTuple(withCondexpr: false, endNames: ["recursive", "if"])
            let filter = skipName("if") ? try parseExpression() : nil
            if isName("recursive") { throw JinjaError(.unsupported, line: current.line, "recursive for loops are not supported") }
            try expectBlockEnd()
            let (body, end) = try parseStatements(until: ["endfor", "else"])
            var otherwise: [JinjaStatement] = []
            if end?.text == "else" {
                try expectBlockEnd()
                (otherwise, _) = try parseStatements(until: ["endfor"])
            }
            try expectBlockEnd()
            return JinjaStatement(kind: .forLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise), line: line)
        case "set":
            let target = try parseAssignTarget(allowNamespace: true, endNames: [])
            if skipOp("=") {
                let value = try parseTuple(withCondexpr: true)
                try expectBlockEnd()
                return JinjaStatement(kind: .set(target, value), line: line)
            }
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseStatements(until: ["endset"])
            try expectBlockEnd()
            return JinjaStatement(kind: .setBlock(target, filters: filters, body: body), line: line)
        case "macro":
            let name = try expectName()
            try expectOp("(")
            var parameters: [(String, JinjaExpr?)] = []
            while !skipOp(")") {
                if !parameters.isEmpty { try expectOp(",") }
                if skipOp(")") { break }
                let p = try expectName()
                parameters.append((p, skipOp("=") ? try parseExpression() : nil))
                if parameters.last?.1 == nil, parameters.dropLast().contains(where: { $0.1 != nil }) {
                    throw JinjaError(.syntax, line: line, "non-default argument follows default argument")
                }
            }
            try expectBlockEnd()
            let readsBefore = (nameReads["varargs", default: 0], nameReads["kwargs", default: 0])
            let (body, _) = try parseStatements(until: ["endmacro"])
            if current.kind == .name { _ = advance() }   // {% endmacro name %}
            try expectBlockEnd()
            let macro = JinjaMacroDefinition(name: name, parameters: parameters, body: body,
                                             takesVarargs: nameReads["varargs", default: 0] > readsBefore.0,
                                             takesKwargs: nameReads["kwargs", default: 0] > readsBefore.1)
            return JinjaStatement(kind: .macro(macro), line: line)
        case "filter":
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseStatements(until: ["endfilter"])
            try expectBlockEnd()
            return JinjaStatement(kind: .filterBlock(filters, body: body), line: line)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseStatements(until: ["endgeneration"])
            try expectBlockEnd()
            return JinjaStatement(kind: .generation(body), line: line)
        case "break", "continue":
            try expectBlockEnd()
            return JinjaStatement(kind: tag.text == "break" ? .breakLoop : .continueLoop, line: line)
        case "block", "extends", "include", "import", "from", "with", "autoescape", "call", "print", "do":
            throw JinjaError(.unsupported, line: line, "the '\(tag.text)' tag is not supported in chat templates")
        default:
            throw JinjaError(.syntax, line: line, "Encountered unknown tag '\(tag.text)'.")
        }
    }

    /// `name`, `ns.attr` (for set), or names separated by commas (optionally in parentheses).
    private mutating func parseAssignTarget(allowNamespace: Bool, endNames: Set<String>) throws -> JinjaTarget {
        func one(_ p: inout JinjaParser) throws -> JinjaTarget {
            try p.enter(p.current.line)
            defer { p.nesting -= 1 }
            if p.skipOp("(") {
                var items: [JinjaTarget] = []
                while !p.skipOp(")") {
                    if !items.isEmpty { try p.expectOp(",") }
                    if p.skipOp(")") { break }
                    items.append(try one(&p))
                }
                return .tuple(items)
            }
            let name = try p.expectName()
            if allowNamespace, p.skipOp(".") { return .attribute(namespace: name, attribute: try p.expectName()) }
            if ["true", "false", "none", "True", "False", "None"].contains(name) {
                throw JinjaError(.syntax, line: p.current.line, "can't assign to '\(name)'")
            }
            return .name(name)
        }
        var items = [try one(&self)]
        var isTuple = false
        while skipOp(",") {
            isTuple = true
            if current.kind == .blockEnd || isOp("=") || (current.kind == .name && endNames.contains(current.text)) { break }
            items.append(try one(&self))
        }
        return isTuple ? .tuple(items) : items[0]
    }

    // MARK: expressions

    /// Expressions separated by commas make a tuple (`{{ a, b }}`, `set x = 1, 2`).
    private mutating func parseTuple(withCondexpr: Bool, endNames: Set<String> = [], explicitParentheses: Bool = false) throws -> JinjaExpr {
        let line = current.line
        var items: [JinjaExpr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if current.kind == .variableEnd || current.kind == .blockEnd || isOp(")") || (current.kind == .name && endNames.contains(current.text)) { break }
            items.append(withCondexpr ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw JinjaError(.syntax, line: current.line, "Expected an expression, got \(describe(current))") }
        }
        return JinjaExpr(kind: .tuple(items), line: line)
    }

    private mutating func parseExpression() throws -> JinjaExpr {
        try enter(current.line)
        defer { nesting -= 1 }
        var e = try parseOr()
        var links = 0
        defer { nesting -= links }
        while isName("if") {
            let line = advance().line
            try link(&links, line)
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            e = JinjaExpr(kind: .conditional(then: e, condition: condition, otherwise: otherwise), line: line)
        }
        return e
    }

    private mutating func parseOr() throws -> JinjaExpr {
        var e = try parseAnd()
        var links = 0
        defer { nesting -= links }
        while isName("or") {
            let line = advance().line
            try link(&links, line)
            e = JinjaExpr(kind: .or(e, try parseAnd()), line: line)
        }
        return e
    }

    private mutating func parseAnd() throws -> JinjaExpr {
        var e = try parseNot()
        var links = 0
        defer { nesting -= links }
        while isName("and") {
            let line = advance().line
            try link(&links, line)
            e = JinjaExpr(kind: .and(e, try parseNot()), line: line)
        }
        return e
    }

    private mutating func parseNot() throws -> JinjaExpr {
        try enter(current.line)
        defer { nesting -= 1 }
        if isName("not") {
            let line = advance().line
            return JinjaExpr(kind: .not(try parseNot()), line: line)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> JinjaExpr {
        let line = current.line
        let first = try parseMath1()
        var rest: [(JinjaOperator, JinjaExpr)] = []
        while true {
            if current.kind == .op, ["==", "!=", "<", "<=", ">", ">="].contains(current.text), let op = JinjaOperator(rawValue: advance().text) {
                rest.append((op, try parseMath1()))
            } else if isName("in") {
                _ = advance()
                rest.append((.in, try parseMath1()))
            } else if isName("not"), next.kind == .name, next.text == "in" {
                _ = advance(); _ = advance()
                rest.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        if rest.isEmpty { return first }
        return JinjaExpr(kind: .compare(first, rest), line: line)
    }

    private mutating func parseBinaryLevel(_ ops: Set<String>, _ operand: (inout JinjaParser) throws -> JinjaExpr) throws -> JinjaExpr {
        var e = try operand(&self)
        var links = 0
        defer { nesting -= links }
        while current.kind == .op, ops.contains(current.text), let op = JinjaOperator(rawValue: current.text) {
            let t = advance()
            try link(&links, t.line)
            e = JinjaExpr(kind: .binary(op, e, try operand(&self)), line: t.line)
        }
        return e
    }

    private mutating func parseMath1() throws -> JinjaExpr { try parseBinaryLevel(["+", "-"]) { try $0.parseConcat() } }
    private mutating func parseConcat() throws -> JinjaExpr { try parseBinaryLevel(["~"]) { try $0.parseMath2() } }
    private mutating func parseMath2() throws -> JinjaExpr { try parseBinaryLevel(["*", "/", "//", "%"]) { try $0.parsePow() } }
    private mutating func parsePow() throws -> JinjaExpr { try parseBinaryLevel(["**"]) { try $0.parseUnary(withFilter: true) } }

    private mutating func parseUnary(withFilter: Bool) throws -> JinjaExpr {
        try enter(current.line)
        defer { nesting -= 1 }
        let line = current.line
        var e: JinjaExpr
        if skipOp("-") {
            e = JinjaExpr(kind: .negate(try parseUnary(withFilter: false)), line: line)
        } else if skipOp("+") {
            e = JinjaExpr(kind: .plus(try parseUnary(withFilter: false)), line: line)
        } else {
            e = try parsePrimary()
        }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpression(e) }
        return e
    }

    private mutating func parsePrimary() throws -> JinjaExpr {
        let t = current
        switch t.kind {
        case .name:
            _ = advance()
            switch t.text {
            case "true", "True": return JinjaExpr(kind: .literal(.bool(true)), line: t.line)
            case "false", "False": return JinjaExpr(kind: .literal(.bool(false)), line: t.line)
            case "none", "None": return JinjaExpr(kind: .literal(.none), line: t.line)
            default:
                nameReads[t.text, default: 0] += 1
                return JinjaExpr(kind: .name(t.text), line: t.line)
            }
        case .string:
            var text = advance().text
            while current.kind == .string { text += advance().text }   // adjacent literals join
            return JinjaExpr(kind: .literal(.string(text)), line: t.line)
        case .integer:
            _ = advance()
            return JinjaExpr(kind: .literal(.int(t.integer)), line: t.line)
        case .float:
            _ = advance()
            return JinjaExpr(kind: .literal(.float(t.float)), line: t.line)
        case .op where t.text == "(":
            _ = advance()
            let e = try parseTuple(withCondexpr: true, explicitParentheses: true)
            try expectOp(")")
            return e
        case .op where t.text == "[":
            _ = advance()
            var items: [JinjaExpr] = []
            while !skipOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if skipOp("]") { break }
                items.append(try parseExpression())
            }
            return JinjaExpr(kind: .list(items), line: t.line)
        case .op where t.text == "{":
            _ = advance()
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !skipOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if skipOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            return JinjaExpr(kind: .dict(pairs), line: t.line)
        default:
            throw JinjaError(.syntax, line: t.line, "unexpected \(describe(t))")
        }
    }

    private mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        var e = start
        var links = 0
        defer { nesting -= links }
        while true {
            let line = current.line
            if isOp(".") || isOp("[") || isOp("(") { try link(&links, line) }
            if skipOp(".") {
                if current.kind == .integer {
                    let i = advance().integer
                    e = JinjaExpr(kind: .subscript(e, JinjaExpr(kind: .literal(.int(i)), line: line)), line: line)
                } else {
                    let name = try expectName()
                    e = JinjaExpr(kind: .attribute(e, name, mayBeMethod: jinjaMethodNames.contains(name)), line: line)
                }
            } else if skipOp("[") {
                e = try parseSubscript(e, line: line)
            } else if isOp("(") {
                e = JinjaExpr(kind: .call(e, try parseCallArguments()), line: line)
            } else {
                return e
            }
        }
    }

    private mutating func parseSubscript(_ target: JinjaExpr, line: Int) throws -> JinjaExpr {
        func part(_ p: inout JinjaParser) throws -> JinjaExpr? {
            p.isOp(":") || p.isOp("]") ? nil : try p.parseExpression()
        }
        let start = try part(&self)
        guard skipOp(":") else {
            try expectOp("]")
            guard let start else { throw JinjaError(.syntax, line: line, "expected an index") }
            return JinjaExpr(kind: .subscript(target, start), line: line)
        }
        let stop = try part(&self)
        let step = skipOp(":") ? try part(&self) : nil
        try expectOp("]")
        return JinjaExpr(kind: .slice(target, start: start, stop: stop, step: step), line: line)
    }

    private mutating func parseCallArguments() throws -> JinjaCallArguments {
        try expectOp("(")
        var args = JinjaCallArguments()
        var first = true
        while !skipOp(")") {
            if !first { try expectOp(",") }
            first = false
            if skipOp(")") { break }
            if isOp("*") || isOp("**") { throw JinjaError(.unsupported, line: current.line, "*args and **kwargs in calls are not supported") }
            if current.kind == .name, next.kind == .op, next.text == "=" {
                let name = advance().text
                _ = advance()
                args.keyword.append((name, try parseExpression()))
            } else {
                if !args.keyword.isEmpty { throw JinjaError(.syntax, line: current.line, "invalid syntax for function call expression") }
                args.positional.append(try parseExpression())
            }
        }
        return args
    }

    /// `| name(args)` filters, `is [not] name args` tests and calls, left to right.
    private mutating func parseFilterExpression(_ start: JinjaExpr) throws -> JinjaExpr {
        var e = start
        var links = 0
        defer { nesting -= links }
        while true {
            let line = current.line
            if isOp("|") || isName("is") || isOp("(") { try link(&links, line) }
            if isOp("|") {
                for (name, args) in try parseFilterChain() {
                    try link(&links, line)
                    e = JinjaExpr(kind: .filter(e, name: name, args), line: line)
                }
            } else if isName("is") {
                _ = advance()
                let negated = skipName("not")
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                var args = JinjaCallArguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if [.name, .string, .integer, .float].contains(current.kind) || isOp("(") || isOp("[") || isOp("{"),
                          !(current.kind == .name && ["else", "or", "and"].contains(current.text)) {
                    if isName("is") { throw JinjaError(.syntax, line: current.line, "You cannot chain multiple tests with is") }
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                e = JinjaExpr(kind: .test(e, name: name, args, negated: negated), line: line)
            } else if isOp("(") {
                e = JinjaExpr(kind: .call(e, try parseCallArguments()), line: line)
            } else {
                return e
            }
        }
    }

    /// `|a|b(x)` (the first `|` optional, as after `{% filter`).
    private mutating func parseFilterChain() throws -> [(String, JinjaCallArguments)] {
        var chain: [(String, JinjaCallArguments)] = []
        var first = true
        while isOp("|") || (first && current.kind == .name) {
            _ = skipOp("|")
            first = false
            var name = try expectName()
            while skipOp(".") { name += "." + (try expectName()) }
            chain.append((name, isOp("(") ? try parseCallArguments() : JinjaCallArguments()))
        }
        return chain
    }
}
