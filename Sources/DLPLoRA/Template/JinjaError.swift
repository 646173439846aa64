// JinjaError.swift: why a template cannot be parsed or rendered, with the template line it happened on.
import Foundation

public struct JinjaError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The template text is not valid Jinja (Jinja2's TemplateSyntaxError).
        case syntax
        /// Valid Jinja that this interpreter does not implement (a tag, filter, test or method).
        case unsupported
        /// A use of an undefined value that Jinja2 refuses (its UndefinedError).
        case undefined
        /// An operation on values of the wrong type (Python's TypeError/ValueError).
        case type
        /// The template called `raise_exception(message)`.
        case raised
        /// A bound on work or output was reached (iterations, output size, recursion).
        case limit
        /// What Jinja2's immutable sandbox refuses (modifying a list or dict, private attributes).
        case security
    }

    public let kind: Kind
    public let line: Int
    public let message: String

    init(_ kind: Kind, line: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    public var description: String {
        switch kind {
        case .raised: return message
        default: return "line \(line): \(message)"
        }
    }
}
