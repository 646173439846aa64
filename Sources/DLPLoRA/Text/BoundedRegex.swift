// BoundedRegex.swift: ICU regular expressions from files (tokenizer.json Split and Replace patterns, PEFT
// target_modules and rank/alpha pattern keys) run under a time budget. ICU backtracks, and a pattern
// like "(a+)+$" takes exponential time on a short text; ICU reports progress during a long match, and
// past the budget the search stops and the caller reports an error instead of hanging.
import Foundation

extension NSRegularExpression {
    /// The non-overlapping matches in `text`, or nil when the search ran past `seconds` plus 10 us per
    /// UTF-16 unit.
    func boundedMatches(in text: String, seconds: Double = 1.0) -> [NSRange]? {
        let length = text.utf16.count
        let deadline = ContinuousClock.now + .seconds(seconds + 1e-5 * Double(length))
        var overran = false
        var found: [NSRange] = []
        enumerateMatches(in: text, options: [.reportProgress], range: NSRange(location: 0, length: length)) { match, _, stop in
            if let match { found.append(match.range) }
            if ContinuousClock.now > deadline { overran = true; stop.pointee = true }
        }
        return overran ? nil : found
    }

    /// `text` with every match replaced by `content` (literally), or nil past the budget.
    func boundedReplacing(in text: String, with content: String, seconds: Double = 1.0) -> String? {
        guard let matches = boundedMatches(in: text, seconds: seconds) else { return nil }
        let units = Array(text.utf16)
        var out: [UInt16] = []
        var last = 0
        for m in matches {
            out += units[last..<m.location]
            out += content.utf16
            last = m.location + m.length
        }
        out += units[last...]
        return String(decoding: out, as: UTF16.self)
    }
}
