// JinjaValue.swift: the values a chat template computes with, modelled on the Python objects Jinja2 sees
// (None, bool, int, float, str, list, tuple, dict, namespace, callables, the loop object), with Python's
// truth rules and equality. Strings compare by Unicode scalars, as Python's do (not by canonical
// equivalence, as Swift's String does).
import Foundation

public enum JinjaValue: Sendable {
    /// A name or attribute that is not there; the payload is what using it reports ("'x' is undefined").
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// A string marked safe (Python's Markup, from `safe` or `escape`): `+` with a plain string
    /// HTML-escapes the plain one, as Jinja2 does even with autoescaping off.
    case markup(String)
    case list([JinjaValue])
    case tuple([JinjaValue])
    /// A one-pass Python iterator (what map, select, reject, selectattr, rejectattr, items, unique, batch
    /// and reverse return): iterable, always true, but without len(), indexing or a JSON form.
    case iterator([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    case callable(JinjaCallable)
    case loop(JinjaLoop)
}

/// A dict that keeps insertion order, as Python's does. Keys are looked up with Python equality.
public struct JinjaDict: Sendable {
    public private(set) var keys: [JinjaValue] = []
    public private(set) var values: [JinjaValue] = []
    /// string key -> position, kept once the dict grows past `indexedFrom` keys (a JSON object with
    /// many keys must not cost a scan per key)
    private var stringIndex: [ExactText: Int]? = nil
    private static let indexedFrom = 16

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[.string(k)] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var pairs: Zip2Sequence<[JinjaValue], [JinjaValue]> { zip(keys, values) }

    func index(of key: JinjaValue) -> Int? {
        if case let .string(s) = key {
            if let stringIndex { return stringIndex[ExactText(s)] }
            return keys.firstIndex { if case let .string(k) = $0 { return sameScalars(k, s) } else { return false } }
        }
        return keys.firstIndex { $0.pythonEquals(key) }
    }

    private mutating func rebuildIndex() {
        guard keys.count >= Self.indexedFrom else { stringIndex = nil; return }
        var index: [ExactText: Int] = [:]
        for (i, k) in keys.enumerated() { if case let .string(s) = k { index[ExactText(s)] = i } }
        stringIndex = index
    }

    public subscript(key: JinjaValue) -> JinjaValue? {
        get { index(of: key).map { values[$0] } }
        set {
            if let i = index(of: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                    rebuildIndex()
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
                if stringIndex != nil, case let .string(s) = key {
                    stringIndex?[ExactText(s)] = keys.count - 1
                } else if stringIndex == nil, keys.count >= Self.indexedFrom {
                    rebuildIndex()
                }
            }
        }
    }

    public subscript(key: String) -> JinjaValue? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }
}

/// `namespace(...)`: the one mutable object a template may assign attributes of (`{% set ns.x = 1 %}`).
public final class JinjaNamespace: @unchecked Sendable {
    var attributes: JinjaDict
    init(_ attributes: JinjaDict) { self.attributes = attributes }
}

/// A macro, a global function or a bound method. Calls go through the renderer (macros render).
public final class JinjaCallable: @unchecked Sendable {
    let name: String
    let body: (JinjaArguments, JinjaRenderer) throws -> JinjaValue
    init(_ name: String, _ body: @escaping (JinjaArguments, JinjaRenderer) throws -> JinjaValue) {
        self.name = name
        self.body = body
    }
}

/// The `loop` variable of a for loop: its attributes are computed from the position.
public final class JinjaLoop: @unchecked Sendable {
    let items: [JinjaValue]
    var index0 = 0
    let depth0: Int
    init(items: [JinjaValue], depth0: Int) {
        self.items = items
        self.depth0 = depth0
    }
}

/// The arguments of a call: positional, then keyword in the order written.
struct JinjaArguments {
    var positional: [JinjaValue] = []
    var keyword: [(String, JinjaValue)] = []

    var demarked: JinjaArguments {
        JinjaArguments(positional: positional.map(\.demarked), keyword: keyword.map { ($0.0, $0.1.demarked) })
    }

    /// Argument `position`, or the keyword `name`, or nil.
    func value(_ position: Int, _ name: String) -> JinjaValue? {
        if position < positional.count { return positional[position] }
        return keyword.first { $0.0 == name }?.1
    }
}

extension JinjaValue {
    /// Python's truth value.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .float(d): return d != 0
        case let .string(s), let .markup(s): return !s.isEmpty
        case let .list(a), let .tuple(a): return !a.isEmpty
        case let .dict(d): return !d.isEmpty
        case .namespace, .callable, .loop, .iterator: return true
        }
    }

    public var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The number, for arithmetic (bool counts as int, as in Python).
    var numeric: Double? {
        switch self {
        case let .bool(b): return b ? 1 : 0
        case let .int(i): return Double(i)
        case let .float(d): return d
        default: return nil
        }
    }

    /// The integer of an int or bool.
    var integer: Int? {
        switch self {
        case let .bool(b): return b ? 1 : 0
        case let .int(i): return i
        default: return nil
        }
    }

    /// Python's ==.
    /// A Markup as the plain string it is (every operation but `+` treats it so).
    var demarked: JinjaValue {
        if case let .markup(s) = self { return .string(s) }
        return self
    }

    public func pythonEquals(_ other: JinjaValue) -> Bool {
        switch (demarked, other.demarked) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return sameScalars(a, b)
        case let (.list(a), .list(b)), let (.tuple(a), .tuple(b)):
            // one storage (a list compared with itself, or shared by repetition) is equal without a walk
            return a.count == b.count && (sameStorage(a, b) || zip(a, b).allSatisfy { $0.pythonEquals($1) })
        case let (.dict(a), .dict(b)):
            return a.count == b.count && ((sameStorage(a.keys, b.keys) && sameStorage(a.values, b.values))
                || a.pairs.allSatisfy { k, v in b[k].map { $0.pythonEquals(v) } ?? false })
        case let (.namespace(a), .namespace(b)): return a === b
        case let (.callable(a), .callable(b)): return a === b
        case let (.loop(a), .loop(b)): return a === b
        default:
            if let x = integer, let y = other.integer { return x == y }
            if let x = numeric, let y = other.numeric { return x == y }
            return false
        }
    }

    /// The Python type name, for messages ("'dict object' has no attribute ...").
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .list: return "list"
        case .tuple: return "tuple"
        case .iterator: return "generator"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .callable: return "function"
        case .loop: return "LoopContext"
        }
    }

    /// The items a for loop or a filter iterates: list and tuple items, dict keys, string characters.
    func iterated(line: Int) throws -> [JinjaValue] {
        switch self {
        case .undefined: return []
        case let .list(a), let .tuple(a), let .iterator(a): return a
        case let .dict(d): return d.keys
        case let .string(s), let .markup(s): return s.unicodeScalars.map { .string(String($0)) }
        default: throw JinjaError(.type, line: line, "'\(typeName)' object is not iterable")
        }
    }
}

extension JinjaValue: Equatable {
    public static func == (lhs: JinjaValue, rhs: JinjaValue) -> Bool { lhs.pythonEquals(rhs) }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .dict(JinjaDict(elements)) }
    public init(nilLiteral: ()) { self = .none }
}

/// Whether two arrays share one buffer (then their items are the same values).
func sameStorage(_ a: [JinjaValue], _ b: [JinjaValue]) -> Bool {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
}

