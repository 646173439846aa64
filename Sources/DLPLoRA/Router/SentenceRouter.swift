// SentenceRouter.swift: routing granularity. `sentence` (default): every sentence gets its own plan,
// routed on its text; a short sentence the router is unsure about is routed again with the sentence
// before it prepended (a short sentence says little on its own), and a one-word "sentence" (a label such
// as "Answer:") keeps the plan of the sentence before it; `prompt`: one plan for the whole text (the
// paper's released code). With a DeviceRouter the sentences of a text are routed in batches on its
// backend: every sentence alone in one batch, then the short unsure ones with their context in another;
// the decisions are the host's rules on the same probabilities.

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

    /// The router's forward on a backend (a GPU) for batches of sentences; nil: on the host, one at a time.
    /// A batch the backend fails runs on the host instead.
    public var device: DeviceRouter?

    public init(router: Router, granularity: RoutingGranularity = .sentence, device: DeviceRouter? = nil) {
        self.router = router
        self.granularity = granularity
        self.device = device
    }

    /// Class probabilities of each text: one batch on the device router when there is one.
    func probabilities(_ texts: [String]) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        if let device, let batch = try? device.probabilities(for: texts) { return batch }
        return texts.map(router.probabilities(for:))
    }

    /// Whether a sentence of `words` words whose own probabilities are `alone` is routed again with the
    /// text before it.
    private func needsContext(_ sentence: String, _ alone: [Float]) -> Bool {
        sentence.split(separator: " ").count < shortSentenceWords && (alone.max() ?? 0) < confidentProbability ?? router.selection.p
    }

    /// The plans of sentences given the text before each (nil: none), in two batches at most.
    func plans(_ items: [(sentence: String, previous: String?)]) -> [FusionPlan] {
        var chosen = probabilities(items.map(\.sentence))
        let again = items.indices.filter { items[$0].previous != nil && needsContext(items[$0].sentence, chosen[$0]) }
        let withContext = probabilities(again.map { (items[$0].previous ?? "") + " " + items[$0].sentence })
        for (k, i) in again.enumerated() { chosen[i] = withContext[k] }
        return chosen.map { router.selection.plan($0, names: router.adapterNames) }
    }

    /// One-word "sentences" (labels such as "Answer:") keep the plan before them.
    private static func isOneWord(_ sentence: String) -> Bool {
        sentence.split(whereSeparator: { $0 == " " || $0 == "\n" }).count <= 1
    }

    /// The plan of each sentence of `text` (with `.prompt`, all share the plan of the whole text).
    public func route(_ text: String) -> [RoutedSentence] {
        let sentences = SentenceSegmenter.split(text)
        if granularity == .prompt {
            let plan = router.plan(for: text)
            return sentences.map { RoutedSentence(sentence: $0, plan: plan) }
        }
        return routeSentences(sentences)
    }

    /// The plans of the sentences inside `parts` (UTF-8 byte ranges of `text`, in order) only: a chat
    /// prompt's messages, without the template's role markers and system prompt. Sentence ranges are
    /// offsets into `text`. With `.prompt`, every sentence gets the plan of the parts' text together.
    public func route(_ text: String, parts: [Range<Int>]) -> [RoutedSentence] {
        let bytes = Array(text.utf8)
        let pieces = parts.filter { $0.lowerBound >= 0 && $0.upperBound <= bytes.count && !$0.isEmpty }
            .map { (range: $0, text: String(decoding: bytes[$0], as: UTF8.self)) }
        let shared = granularity == .prompt ? router.plan(for: pieces.map(\.text).joined(separator: "\n")) : nil
        let sentences = pieces.flatMap { piece in
            SentenceSegmenter.split(piece.text).map {
                Sentence(text: $0.text, utf8Range: ($0.utf8Range.lowerBound + piece.range.lowerBound)..<($0.utf8Range.upperBound + piece.range.lowerBound))
            }
        }
        if let shared { return sentences.map { RoutedSentence(sentence: $0, plan: shared) } }
        return routeSentences(sentences)
    }

    /// Each sentence's plan, routed on its text with the sentence before it as context; the first
    /// sentence is always routed, a later one-word sentence keeps the plan before it.
    private func routeSentences(_ sentences: [Sentence]) -> [RoutedSentence] {
        let routedAlone = sentences.indices.filter { $0 == 0 || !Self.isOneWord(sentences[$0].text) }
        var planned = plans(routedAlone.map { (sentences[$0].text, $0 > 0 ? sentences[$0 - 1].text : nil) }).makeIterator()
        var routed: [RoutedSentence] = []
        for (i, s) in sentences.enumerated() {
            let plan = (i == 0 || !Self.isOneWord(s.text)) ? planned.next() : routed.last?.plan
            routed.append(RoutedSentence(sentence: s, plan: plan ?? FusionPlan([])))
        }
        return routed
    }

    /// The plan of one sentence, given the text before it (the previous sentence, or recent output).
    public func plan(for sentence: String, previous: String?) -> FusionPlan {
        plans([(sentence, previous)])[0]
    }
}
