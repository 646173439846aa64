// JinjaSyntax.swift: the parsed template: statements and expressions, each with its template line.

struct JinjaExpr {
    indirect enum Kind {
        case literal(JinjaValue)
        case name(String)
        case list([JinjaExpr])
        case tuple([JinjaExpr])
        case dict([(JinjaExpr, JinjaExpr)])
        /// `x.name`; `mayBeMethod`: some str, dict or list method has this name (decided when parsed)
        case attribute(JinjaExpr, String, mayBeMethod: Bool)
        case `subscript`(JinjaExpr, JinjaExpr)
        case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
        case call(JinjaExpr, JinjaCallArguments)
        case filter(JinjaExpr, name: String, JinjaCallArguments)
        case test(JinjaExpr, name: String, JinjaCallArguments, negated: Bool)
        case not(JinjaExpr)
        case negate(JinjaExpr)
        case plus(JinjaExpr)
        case binary(JinjaOperator, JinjaExpr, JinjaExpr)
        case and(JinjaExpr, JinjaExpr)
        case or(JinjaExpr, JinjaExpr)
        case compare(JinjaExpr, [(JinjaOperator, JinjaExpr)])  // == != < <= > >= in "not in", chained
        case conditional(then: JinjaExpr, condition: JinjaExpr, otherwise: JinjaExpr?)
    }
    let kind: Kind
    let line: Int
}

/// The binary and comparison operators, resolved when the template is parsed.
enum JinjaOperator: String {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case concat = "~", `in` = "in", notIn = "not in"
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

struct JinjaCallArguments {
    var positional: [JinjaExpr] = []
    var keyword: [(String, JinjaExpr)] = []
}

/// Where `set` and `for` put values: a name, a namespace attribute, or a tuple to unpack.
indirect enum JinjaTarget {
    case name(String)
    case attribute(namespace: String, attribute: String)
    case tuple([JinjaTarget])
}

struct JinjaStatement {
    indirect enum Kind {
        case text(String)
        case output(JinjaExpr)
        case ifChain([(condition: JinjaExpr, body: [JinjaStatement])], otherwise: [JinjaStatement])
        case forLoop(target: JinjaTarget, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaStatement], otherwise: [JinjaStatement])
        case set(JinjaTarget, JinjaExpr)
        case setBlock(JinjaTarget, filters: [(String, JinjaCallArguments)], body: [JinjaStatement])
        case macro(JinjaMacroDefinition)
        case filterBlock([(String, JinjaCallArguments)], body: [JinjaStatement])
        case generation([JinjaStatement])
        case breakLoop
        case continueLoop
    }
    let kind: Kind
    let line: Int
}

struct JinjaMacroDefinition {
    let name: String
    let parameters: [(String, JinjaExpr?)]
    let body: [JinjaStatement]
    /// whether the body reads `varargs` / `kwargs` (otherwise extra arguments are an error, as in Jinja2)
    let takesVarargs: Bool
    let takesKwargs: Bool
}
