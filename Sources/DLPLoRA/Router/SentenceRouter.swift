// SentenceRouter.swift: routing granularity. `sentence` (default): every sentence gets its own plan,
// routed on its text; a short sentence the router is unsure about is routed again with the sentence
// before it prepended (a short sentence says little on its own), and a one-word "sentence" (a label such
// as "Answer:") keeps the plan of the sentence before it; `prompt`: one plan for the whole text (the
// paper's released code).

/// How often the router picks a plan.
public enum RoutingGranularity: String, Sendable, CaseIterable {
    case sentence, prompt
}

/// A sentence with the plan the router picked for it.
public struct RoutedSentence: Sendable {
    public let sentence: Sentence
    public let plan: FusionPlan
}

public struct SentenceRouter: Sendable {
    public let router: Router
    public var granularity: RoutingGranularity
    /// Sentences with fewer words than this are short.
    public var shortSentenceWords = 4
    /// A short sentence whose top probability is below this is routed with its preceding context
    /// (default: the router's top-p, so a short sentence that needs a mix to be covered gets context).
    public var confidentProbability: Float?

    public init(router: Router, granularity: RoutingGranularity = .sentence) {
        self.router = router
        self.granularity = granularity
    }

    /// The plan of each sentence of `text` (with `.prompt`, all share the plan of the whole text).
    public func route(_ text: String) -> [RoutedSentence] {
        let sentences = SentenceSegmenter.split(text)
        if granularity == .prompt {
            let plan = router.plan(for: text)
            return sentences.map { RoutedSentence(sentence: $0, plan: plan) }
        }
        var routed: [RoutedSentence] = []
        for (i, s) in sentences.enumerated() {
            if let last = routed.last, s.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count <= 1 {
                routed.append(RoutedSentence(sentence: s, plan: last.plan))
            } else {
                routed.append(RoutedSentence(sentence: s, plan: plan(for: s.text, previous: i > 0 ? sentences[i - 1].text : nil)))
            }
        }
        return routed
    }

    /// The plans of the sentences inside `parts` (UTF-8 byte ranges of `text`, in order) only: a chat
    /// prompt's messages, without the template's role markers and system prompt. Sentence ranges are
    /// offsets into `text`. With `.prompt`, every sentence gets the plan of the parts' text together.
    public func route(_ text: String, parts: [Range<Int>]) -> [RoutedSentence] {
        let bytes = Array(text.utf8)
        let pieces = parts.filter { $0.lowerBound >= 0 && $0.upperBound <= bytes.count && !$0.isEmpty }
            .map { (range: $0, text: String(decoding: bytes[$0], as: UTF8.self)) }
        let shared = granularity == .prompt ? router.plan(for: pieces.map(\.text).joined(separator: "\n")) : nil
        var routed: [RoutedSentence] = []
        for piece in pieces {
            for s in SentenceSegmenter.split(piece.text) {
                let sentence = Sentence(text: s.text, utf8Range: (s.utf8Range.lowerBound + piece.range.lowerBound)..<(s.utf8Range.upperBound + piece.range.lowerBound))
                let plan: FusionPlan
                if let shared {
                    plan = shared
                } else if let last = routed.last, s.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count <= 1 {
                    plan = last.plan
                } else {
                    plan = self.plan(for: s.text, previous: routed.last?.sentence.text)
                }
                routed.append(RoutedSentence(sentence: sentence, plan: plan))
            }
        }
        return routed
    }

    /// The plan of one sentence, given the text before it (the previous sentence, or recent output).
    public func plan(for sentence: String, previous: String?) -> FusionPlan {
        let alone = router.probabilities(for: sentence)
        if let previous, sentence.split(separator: " ").count < shortSentenceWords,
           (alone.max() ?? 0) < confidentProbability ?? router.selection.p {
            return router.plan(for: previous + " " + sentence)
        }
        return router.selection.plan(alone, names: router.adapterNames)
    }
}
