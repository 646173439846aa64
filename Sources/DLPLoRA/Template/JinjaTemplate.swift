// JinjaTemplate.swift: a parsed Jinja template and its render call, configured as transformers configures
// Jinja2 for chat templates (trim_blocks, lstrip_blocks, loop controls, the `generation` tag, its
// tojson, raise_exception and strftime_now), with bounds on the work a template may do.
import Foundation

/// Bounds and the clock of one render.
public struct JinjaRenderOptions: Sendable {
    /// What `strftime_now` formats (UTC).
    public var now = Date()
    /// Loop iterations, macro calls and items built by range/repetition/sorting, all together; also
    /// the most items one list may hold.
    public var maxIterations = 1_000_000
    /// Rendered text, macro output included, in UTF-8 bytes; also the longest string a template may
    /// build (by concatenation, join, replace, padding, repr or tojson).
    public var maxOutputBytes = 16 << 20
    /// Nested macro calls.
    public var maxCallDepth = 100
    /// Lists, dicts and namespaces inside one another (a namespace that holds itself counts as
    /// infinitely deep).
    public var maxNesting = 512
    /// Statements, expressions and filters being evaluated inside one another, macro calls included:
    /// the renderer recurses on them, so this bounds its stack (about 1 MB at this depth).
    public var maxRenderDepth = 1500
    public init() {}
}

public struct JinjaTemplate: @unchecked Sendable {
    let statements: [JinjaStatement]

    /// Parses `source`; a syntax error or a filter or test Jinja2 does not have throws a `JinjaError`
    /// naming the line, as Jinja2 refuses such a template before rendering.
    public init(_ source: String) throws {
        statements = try JinjaParser.parse(try JinjaLexer.tokenize(source))
    }

    /// The text of the template with `variables` defined (they shadow the globals: range, namespace,
    /// dict, raise_exception, strftime_now).
    public func render(_ variables: [String: JinjaValue], options: JinjaRenderOptions = JinjaRenderOptions()) throws -> String {
        let renderer = JinjaRenderer(options: options, variables: variables)
        defer { renderer.breakReferenceCycles() }
        _ = try renderer.execute(statements)
        return renderer.output
    }
}
