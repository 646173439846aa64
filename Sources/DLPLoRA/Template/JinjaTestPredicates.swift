// JinjaTestPredicates.swift: the tests of `value is name(args)` (and of select/reject), as Jinja2 3.1
// defines them.
import Foundation

/// Every test Jinja2 3.1 has (a name outside it is the template's error, one inside it our gap).
let jinja2TestNames: Set<String> = [
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "filter",
    "float", "ge", ">=", "greaterthan", "gt", ">", "in", "integer", "iterable", "le", "<=", "lessthan", "lower",
    "lt", "<", "mapping", "ne", "!=", "none", "number", "odd", "sameas", "sequence", "string", "test", "true",
    "undefined", "upper",
]

extension JinjaRenderer {
    func applyTest(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, line: Int) throws -> Bool {
        let value = value.demarked, args = args.demarked
        func other() throws -> JinjaValue {
            guard let v = args.value(0, "other") else { throw JinjaError(.type, line: line, "the test '\(name)' needs an argument") }
            return v
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "number": return value.numeric != nil
        case "string": if case .string = value { return true } else { return false }
        case "mapping":
            switch value {
            case .dict: return true
            default: return false
            }
        case "iterable":
            switch value {
            case .undefined, .string, .list, .tuple, .dict, .iterator: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .list, .tuple, .dict: return true
            default: return false
            }
        case "callable":
            switch value {
            case .callable, .undefined: return true
            default: return false
            }
        case "lower", "upper":
            // str(value).islower() / isupper(): some cased character, and every cased one in that case
            let cased = try str(value, line: line).unicodeScalars.filter { $0.properties.isCased }
            return !cased.isEmpty && cased.allSatisfy { name == "lower" ? $0.properties.isLowercase : $0.properties.isUppercase }
        case "escaped": return false
        case "odd", "even":
            guard let i = value.integer else { throw JinjaError(.type, line: line, "the test '\(name)' needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            let divisor = try other()
            if let i = value.integer, let n = divisor.integer {
                guard n != 0 else { throw JinjaError(.type, line: line, "integer division or modulo by zero") }
                return n == -1 || i % n == 0
            }
            guard let x = value.numeric, let y = divisor.numeric else { throw JinjaError(.type, line: line, "divisibleby needs numbers") }
            guard y != 0 else { throw JinjaError(.type, line: line, "float modulo") }
            return x.truncatingRemainder(dividingBy: y) == 0
        case "eq", "equalto", "==": return value.pythonEquals(try other())
        case "ne", "!=": return !value.pythonEquals(try other())
        case "lt", "lessthan", "<": return try compare(.less, value, try other(), line: line)
        case "le", "<=": return try compare(.lessOrEqual, value, try other(), line: line)
        case "gt", "greaterthan", ">": return try compare(.greater, value, try other(), line: line)
        case "ge", ">=": return try compare(.greaterOrEqual, value, try other(), line: line)
        case "in": return try contains(try args.value(0, "seq") ?? other(), value, line: line)
        case "sameas":
            let o = try other()
            switch (value, o) {
            case (.none, .none): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.namespace(a), .namespace(b)): return a === b
            case let (.callable(a), .callable(b)): return a === b
            case let (.int(a), .int(b)): return a == b && a >= -5 && a <= 256   // CPython's small-int cache
            default: return false
            }
        default:
            guard jinja2TestNames.contains(name) else { throw JinjaError(.unsupported, line: line, "No test named '\(name)'.") }
            throw JinjaError(.unsupported, line: line, "the test '\(name)' is not supported")
        }
    }
}
