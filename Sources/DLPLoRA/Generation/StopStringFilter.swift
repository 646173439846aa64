// StopStringFilter.swift: watches generated text for stop strings and holds back just enough text that a
// stop string is never half-printed before it is recognized.

struct StopStringFilter {
    let stopStrings: [String]
    private(set) var text = ""        // everything generated so far
    private var emitted = 0           // characters of `text` already released

    init(stopStrings: [String]) { self.stopStrings = stopStrings.filter { !$0.isEmpty } }

    /// Adds new text; returns what can be released now and whether a stop string was found.
    mutating func append(_ piece: String) -> (release: String, stopped: Bool) {
        text += piece
        if let cut = stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
            let kept = text[..<cut]
            let release = String(kept.dropFirst(emitted))
            text = String(kept)
            emitted = text.count
            return (release, true)
        }
        // hold back the longest suffix that is a proper prefix of some stop string
        var hold = 0
        for stop in stopStrings {
            for length in stride(from: min(stop.count - 1, text.count), to: 0, by: -1)
            where text.hasSuffix(String(stop.prefix(length))) {
                hold = max(hold, length)
                break
            }
        }
        let releasable = text.count - hold
        guard releasable > emitted else { return ("", false) }
        let release = String(text.dropFirst(emitted).prefix(releasable - emitted))
        emitted = releasable
        return (release, false)
    }

    /// Releases what is held back (at the end of generation).
    mutating func flush() -> String {
        let release = String(text.dropFirst(emitted))
        emitted = text.count
        return release
    }
}
