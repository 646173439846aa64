// StopStringFilter.swift: watches generated text for stop strings and holds back just enough text that a
// stop string is never half-printed before it is recognized. Matching is by Unicode scalars, as Python's
// `str.find` matches (a stop string "e" stops at "e" + U+0301 too), and linear in the generated length:
// only the held-back tail and the new piece are searched.

struct StopStringFilter {
    private let stops: [[Unicode.Scalar]]
    /// The text released so far (all of it once a stop string is found, cut before it, or after `flush`).
    private(set) var text = ""
    /// Scalars generated but not released yet: the tail that could still begin a stop string, plus the
    /// new piece.
    private var pending: [Unicode.Scalar] = []

    init(stopStrings: [String]) { stops = stopStrings.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty } }

    /// Adds new text; returns what can be released now and whether a stop string was found.
    mutating func append(_ piece: String) -> (release: String, stopped: Bool) {
        pending += piece.unicodeScalars
        if let cut = firstMatch() {
            let kept = String(String.UnicodeScalarView(pending[..<cut]))
            text += kept
            pending.removeAll()
            return (kept, true)
        }
        // hold back the longest suffix that is a proper prefix of some stop string
        var hold = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, pending.count), to: hold, by: -1)
            where pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                hold = length
                break
            }
        }
        let release = String(String.UnicodeScalarView(pending[..<(pending.count - hold)]))
        pending.removeFirst(pending.count - hold)
        text += release
        return (release, false)
    }

    /// Where the earliest stop string starts in `pending`.
    private func firstMatch() -> Int? {
        var earliest: Int? = nil
        for stop in stops where stop.count <= pending.count {
            var start = 0
            while start + stop.count <= pending.count, start < (earliest ?? .max) {
                if pending[start] == stop[0], pending[start..<(start + stop.count)].elementsEqual(stop) { earliest = start; break }
                start += 1
            }
        }
        return earliest
    }

    /// Releases what is held back (at the end of generation).
    mutating func flush() -> String {
        let release = String(String.UnicodeScalarView(pending))
        pending.removeAll()
        text += release
        return release
    }
}
