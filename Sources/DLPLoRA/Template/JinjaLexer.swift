// JinjaLexer.swift: template text -> tokens, with Jinja2's whitespace rules as transformers sets them
// (trim_blocks: the newline after a block or comment tag goes; lstrip_blocks: spaces and tabs before a
// block or comment tag on its own line go; `-` strips all whitespace on that side, `+` keeps it).
// Comments are dropped and `{% raw %}` bodies become text here.
import Foundation

struct JinjaToken: Equatable {
    enum Kind: Equatable { case text, variableBegin, variableEnd, blockBegin, blockEnd, name, string, integer, float, op, end }
    let kind: Kind
    /// text, name, operator, or the decoded string literal
    var text: String = ""
    var integer: Int = 0
    var float: Double = 0
    let line: Int
}

struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private let trimBlocks: Bool
    private let lstripBlocks: Bool
    private var pos = 0
    private var line = 1
    /// whether the last tag ended with a newline (lstrip_blocks also applies to a tag at the start of text)
    private var lineStarting = true
    private var tokens: [JinjaToken] = []

    /// The tokens of `source`; newlines are normalized to \n and one trailing newline is dropped.
    static func tokenize(_ source: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) throws -> [JinjaToken] {
        var normalized = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if normalized.hasSuffix("\n") { normalized.removeLast() }
        var lexer = JinjaLexer(s: Array(normalized.unicodeScalars), trimBlocks: trimBlocks, lstripBlocks: lstripBlocks)
        try lexer.run()
        lexer.tokens.append(JinjaToken(kind: .end, line: lexer.line))
        return lexer.tokens
    }

    private func at(_ i: Int, _ literal: String) -> Bool {
        var j = i
        for c in literal.unicodeScalars {
            guard j < s.count, s[j] == c else { return false }
            j += 1
        }
        return true
    }

    private mutating func advance(to end: Int) {
        while pos < end {
            if s[pos] == "\n" { line += 1 }
            pos += 1
        }
    }

    private mutating func emitText(_ from: Int, _ to: Int) {
        guard to > from else { return }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[from..<to])
        tokens.append(JinjaToken(kind: .text, text: String(view), line: line))
    }

    private mutating func run() throws {
        while pos < s.count {
            // the next tag opening
            var open = pos
            while open + 1 < s.count, !(s[open] == "{" && (s[open + 1] == "{" || s[open + 1] == "%" || s[open + 1] == "#")) { open += 1 }
            guard open + 1 < s.count else {
                emitText(pos, s.count)
                advance(to: s.count)
                return
            }
            let kind = s[open + 1]
            var afterOpen = open + 2
            var sign: Unicode.Scalar? = nil
            if afterOpen < s.count, s[afterOpen] == "-" || s[afterOpen] == "+" { sign = s[afterOpen]; afterOpen += 1 }
            // the text before the tag, stripped as the tag says
            var textEnd = open
            if sign == "-" {
                while textEnd > pos, isPythonWhitespace(s[textEnd - 1]) { textEnd -= 1 }
            } else if sign != "+", lstripBlocks, kind != "{" {
                var lineStart = textEnd
                while lineStart > pos, s[lineStart - 1] != "\n" { lineStart -= 1 }
                if lineStart > pos || lineStarting, lineStart < textEnd, (lineStart..<textEnd).allSatisfy({ isPythonWhitespace(s[$0]) }) {
                    textEnd = lineStart
                }
            }
            emitText(pos, textEnd)
            advance(to: afterOpen)
            switch kind {
            case "#": try lexComment()
            case "%":
                if try !lexRaw() {
                    tokens.append(JinjaToken(kind: .blockBegin, line: line))
                    try lexTag(block: true)
                }
            default:
                tokens.append(JinjaToken(kind: .variableBegin, line: line))
                try lexTag(block: false)
            }
        }
    }

    /// After `{#`: skips to the comment's end and applies its whitespace rule.
    private mutating func lexComment() throws {
        var i = pos
        while i + 1 < s.count, !(s[i] == "#" && s[i + 1] == "}") { i += 1 }
        guard i + 1 < s.count else { throw JinjaError(.syntax, line: line, "Missing end of comment tag") }
        let sign = i > pos ? s[i - 1] : nil
        advance(to: i + 2)
        endTag(sign: sign, block: true)
    }

    /// The whitespace rule after a tag's closing characters; `sign` is the character before them.
    private mutating func endTag(sign: Unicode.Scalar?, block: Bool) {
        if sign == "-" {
            var j = pos
            while j < s.count, isPythonWhitespace(s[j]) { j += 1 }
            advance(to: j)
        } else if sign != "+", block, trimBlocks, pos < s.count, s[pos] == "\n" {
            advance(to: pos + 1)
        }
        lineStarting = pos > 0 && s[pos - 1] == "\n"
    }

    /// `{% raw %}...{% endraw %}`: true when the tag opening at `pos` was one.
    private mutating func lexRaw() throws -> Bool {
        var i = pos
        while i < s.count, isPythonWhitespace(s[i]) { i += 1 }
        guard at(i, "raw") else { return false }
        i += 3
        while i < s.count, isPythonWhitespace(s[i]) { i += 1 }
        guard at(i, "%}") || at(i, "-%}") else { return false }
        let stripAfter = at(i, "-%}")
        advance(to: i + (stripAfter ? 3 : 2))
        if stripAfter { endTag(sign: "-", block: true) }
        // the body runs to the first {% endraw %}
        var j = pos
        while j < s.count {
            if at(j, "{%") {
                var k = j + 2
                var sign: Unicode.Scalar? = nil
                if k < s.count, s[k] == "-" || s[k] == "+" { sign = s[k]; k += 1 }
                while k < s.count, isPythonWhitespace(s[k]) { k += 1 }
                if at(k, "endraw") {
                    k += 6
                    while k < s.count, isPythonWhitespace(s[k]) { k += 1 }
                    var closeSign: Unicode.Scalar? = nil
                    if k < s.count, s[k] == "-" || s[k] == "+" { closeSign = s[k]; k += 1 }
                    guard at(k, "%}") else { throw JinjaError(.syntax, line: line, "Missing end of raw directive") }
                    var bodyEnd = j
                    if sign == "-" {
                        while bodyEnd > pos, isPythonWhitespace(s[bodyEnd - 1]) { bodyEnd -= 1 }
                    } else if sign != "+", lstripBlocks {
                        var lineStart = bodyEnd
                        while lineStart > pos, s[lineStart - 1] != "\n" { lineStart -= 1 }
                        if lineStart > pos, (lineStart..<bodyEnd).allSatisfy({ isPythonWhitespace(s[$0]) }) { bodyEnd = lineStart }
                    }
                    emitText(pos, bodyEnd)
                    advance(to: k + 2)
                    endTag(sign: closeSign, block: true)
                    return true
                }
            }
            j += 1
        }
        throw JinjaError(.syntax, line: line, "Missing end of raw directive")
    }

    /// The expression tokens of a `{{ }}` or `{% %}` tag, through its end.
    private mutating func lexTag(block: Bool) throws {
        var brackets: [Unicode.Scalar] = []
        while true {
            while pos < s.count, isPythonWhitespace(s[pos]) { advance(to: pos + 1) }
            guard pos < s.count else { throw JinjaError(.syntax, line: line, "unexpected end of template, expected '\(block ? "%}" : "}}")'") }
            if brackets.isEmpty {
                let close = block ? "%}" : "}}"
                for sign in ["-", "+", ""] where at(pos, sign + close) && !(sign == "+" && !block) {
                    advance(to: pos + sign.count + 2)
                    tokens.append(JinjaToken(kind: block ? .blockEnd : .variableEnd, line: line))
                    endTag(sign: sign.unicodeScalars.first, block: block)
                    return
                }
            }
            let c = s[pos]
            let startLine = line
            if c.properties.numericType == .decimal, c.isASCII {
                try lexNumber()
            } else if c == "_" || c.properties.isXIDStart {
                // names as Python identifiers (Jinja2 accepts non-ASCII names)
                var j = pos
                while j < s.count, s[j] == "_" || s[j].properties.isXIDContinue { j += 1 }
                var name = String.UnicodeScalarView()
                name.append(contentsOf: s[pos..<j])
                advance(to: j)
                tokens.append(JinjaToken(kind: .name, text: String(name), line: startLine))
            } else if c == "'" || c == "\"" {
                try lexString(quote: c)
            } else {
                let two = pos + 1 < s.count ? String(String.UnicodeScalarView([c, s[pos + 1]])) : ""
                let op: String
                if ["//", "**", "==", "!=", ">=", "<="].contains(two) {
                    op = two
                } else if "+-/*%~[](){}><=.:|,;".unicodeScalars.contains(c) {
                    op = String(c)
                } else {
                    throw JinjaError(.syntax, line: line, "unexpected char \(pythonStringRepr(String(c)))")
                }
                switch op {
                case "(": brackets.append(")")
                case "[": brackets.append("]")
                case "{": brackets.append("}")
                case ")", "]", "}":
                    guard let expected = brackets.popLast() else { throw JinjaError(.syntax, line: line, "unexpected '\(op)'") }
                    guard String(expected) == op else { throw JinjaError(.syntax, line: line, "unexpected '\(op)', expected '\(expected)'") }
                default: break
                }
                advance(to: pos + op.unicodeScalars.count)
                tokens.append(JinjaToken(kind: .op, text: op, line: startLine))
            }
        }
    }

    private mutating func lexNumber() throws {
        // 0x.. 0o.. 0b.. integers (underscores between digits allowed)
        if s[pos] == "0", pos + 1 < s.count, let radix = ["x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2][Character(s[pos + 1])] {
            var j = pos + 2
            var text = ""
            while j < s.count, s[j] == "_" || Int(String(s[j]), radix: radix) != nil {
                if s[j] != "_" { text.unicodeScalars.append(s[j]) }
                j += 1
            }
            let startLine = line
            guard let value = Int(text, radix: radix) else {
                throw JinjaError(text.isEmpty ? .syntax : .limit, line: startLine, text.isEmpty ? "invalid integer literal" : "integer literal 0\(Character(s[pos + 1]))\(text) is too large")
            }
            advance(to: j)
            tokens.append(JinjaToken(kind: .integer, integer: value, line: startLine))
            return
        }
        func digits(_ i: Int) -> Int {
            var j = i
            while j < s.count, s[j].isASCII, s[j].properties.numericType == .decimal || (s[j] == "_" && j + 1 < s.count && s[j + 1].properties.numericType == .decimal && j > i) { j += 1 }
            return j
        }
        var j = digits(pos)
        var isFloat = false
        if j + 1 < s.count, s[j] == ".", s[j + 1].isASCII, s[j + 1].properties.numericType == .decimal {
            j = digits(j + 1)
            isFloat = true
        }
        if j < s.count, s[j] == "e" || s[j] == "E" {
            var k = j + 1
            if k < s.count, s[k] == "+" || s[k] == "-" { k += 1 }
            if k < s.count, s[k].isASCII, s[k].properties.numericType == .decimal {
                j = digits(k)
                isFloat = true
            }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[pos..<j].filter { $0 != "_" })
        let text = String(view)
        let startLine = line
        advance(to: j)
        if isFloat {
            guard let d = Double(text) else { throw JinjaError(.syntax, line: startLine, "invalid number \(text)") }
            tokens.append(JinjaToken(kind: .float, float: d, line: startLine))
        } else {
            guard let i = Int(text) else { throw JinjaError(.limit, line: startLine, "integer literal \(text) is too large") }
            tokens.append(JinjaToken(kind: .integer, integer: i, line: startLine))
        }
    }

    /// A quoted literal; backslash escapes as Python's unicode-escape decodes them.
    private mutating func lexString(quote: Unicode.Scalar) throws {
        let startLine = line
        var out = String.UnicodeScalarView()
        var j = pos + 1
        func hexValue(_ count: Int) throws -> Unicode.Scalar {
            guard j + count <= s.count else { throw JinjaError(.syntax, line: startLine, "truncated \\x, \\u or \\U escape") }
            var v: UInt32 = 0
            for k in j..<j + count {
                guard let d = s[k].properties.numericType != nil || "abcdefABCDEF".unicodeScalars.contains(s[k]) ? UInt32(String(s[k]), radix: 16) : nil else {
                    throw JinjaError(.syntax, line: startLine, "truncated \\x, \\u or \\U escape")
                }
                v = v * 16 + d
            }
            j += count
            guard let scalar = Unicode.Scalar(v) else { throw JinjaError(.syntax, line: startLine, "invalid character escape") }
            return scalar
        }
        while true {
            guard j < s.count else { throw JinjaError(.syntax, line: startLine, "unexpected end of template inside a string") }
            let c = s[j]
            if c == quote { break }
            j += 1
            guard c == "\\" else { out.append(c); continue }
            guard j < s.count else { throw JinjaError(.syntax, line: startLine, "unexpected end of template inside a string") }
            let e = s[j]
            j += 1
            switch e {
            case "\n": break
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "x": out.append(try hexValue(2))
            case "u": out.append(try hexValue(4))
            case "U": out.append(try hexValue(8))
            case "0"..."7":
                var v = e.value - 0x30
                var n = 1
                while n < 3, j < s.count, ("0"..."7").contains(s[j]) { v = v * 8 + s[j].value - 0x30; j += 1; n += 1 }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default: out.append("\\"); out.append(e)
            }
        }
        advance(to: j + 1)
        tokens.append(JinjaToken(kind: .string, text: String(out), line: startLine))
    }
}
