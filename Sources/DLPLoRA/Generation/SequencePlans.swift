// SequencePlans.swift: the adapter plans of one sequence while it is generated. A fixed plan covers every
// row. With a router, each prompt sentence gets its own plan (every prompt token row points at the plan
// of the sentence it falls in), and during generation each new sentence is routed when it starts, on the
// sentence just finished; `prompt` granularity keeps one plan throughout.

struct SequencePlans {
    private(set) var plans: [FusionPlan] = []
    /// Local plan index of each prompt row (-1: the base model).
    private(set) var promptRows: [Int32] = []
    /// Local plan index of the rows being generated now.
    private(set) var current: Int32 = -1
    private let router: SentenceRouter?
    /// Generated text since the sentence in progress began.
    private var pending = ""

    /// Plans for `request`; `onRoute` hears (sentence text, plan) for every routing decision.
    init(request: GenerationRequest, tokenizer: Tokenizer?, onRoute: (String, FusionPlan) -> Void) throws {
        router = request.router
        let rows = request.promptIDs.count
        if let router = request.router {
            guard let tokenizer else { throw AdapterError.invalidPlan("routing needs a tokenizer, to read the prompt's sentences") }
            // the prompt's text without special tokens, and each token's byte span in it
            var text: [UInt8] = []
            var spans: [Range<Int>] = []
            for id in request.promptIDs {
                let bytes = tokenizer.addedIDs.contains(id) ? [] : tokenizer.bytes(of: id)
                spans.append(text.count..<(text.count + bytes.count))
                text += bytes
            }
            let whole = String(decoding: text, as: UTF8.self)
            let routed: [RoutedSentence]
            if let texts = request.routedTexts, let parts = Self.locate(texts, in: text) {
                routed = router.route(whole, parts: parts)
            } else {
                routed = router.route(whole)
            }
            for item in routed {
                plans.append(item.plan)
                onRoute(item.sentence.text, item.plan)
            }
            // a row takes the sentence holding its first byte; rows between sentences take the next one
            var rowPlans = [Int32](repeating: -1, count: rows)
            var s = 0
            for (row, span) in spans.enumerated() where !routed.isEmpty {
                while s < routed.count - 1, span.lowerBound >= routed[s].sentence.utf8Range.upperBound { s += 1 }
                rowPlans[row] = Int32(s)
            }
            promptRows = rowPlans
            current = plans.isEmpty ? -1 : Int32(plans.count - 1)
        } else if let plan = request.plan {
            plans = [plan]
            promptRows = Array(repeating: 0, count: rows)
            current = 0
        } else {
            promptRows = Array(repeating: -1, count: rows)
        }
    }

    /// The byte ranges of `texts` in `haystack`, each found after the one before (nil if one is missing).
    /// Knuth-Morris-Pratt: linear in the bytes, whatever a client puts in its messages.
    static func locate(_ texts: [String], in haystack: [UInt8]) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        var from = 0
        for text in texts {
            let needle = Array(text.utf8)
            guard !needle.isEmpty else { continue }
            // failure[i]: length of the longest proper prefix of needle[0...i] that is also its suffix
            var failure = [Int](repeating: 0, count: needle.count)
            var k = 0
            for i in 1..<max(needle.count, 1) {
                while k > 0, needle[i] != needle[k] { k = failure[k - 1] }
                if needle[i] == needle[k] { k += 1 }
                failure[i] = k
            }
            var matched = 0
            var end: Int?
            var i = from
            while i < haystack.count {
                while matched > 0, haystack[i] != needle[matched] { matched = failure[matched - 1] }
                if haystack[i] == needle[matched] { matched += 1 }
                if matched == needle.count { end = i + 1; break }
                i += 1
            }
            guard let found = end else { return nil }
            ranges.append((found - needle.count)..<found)
            from = found
        }
        return ranges
    }

    /// Takes newly generated text; when it completes a sentence, the next one is routed on it.
    mutating func observe(_ piece: String, onRoute: (String, FusionPlan) -> Void) {
        guard let router, router.granularity == .sentence, !piece.isEmpty else { return }
        pending += piece
        let sentences = SentenceSegmenter.split(pending)
        // a sentence is complete once text of the next one has begun
        guard sentences.count >= 2 else { return }
        let finished = sentences[sentences.count - 2].text
        let plan = router.plan(for: finished, previous: nil)
        plans.append(plan)
        current = Int32(plans.count - 1)
        onRoute(finished, plan)
        pending = String(decoding: Array(pending.utf8)[sentences[sentences.count - 1].utf8Range.lowerBound...], as: UTF8.self)
    }

    /// The adapter selection for rows given as (sequence, local plan index) over all sequences' plans.
    static func selection(_ sequences: [SequencePlans], rows: [(sequence: Int, plan: Int32)], bank: AdapterBank?,
                          fused: Bool) throws -> AdapterSelection? {
        guard rows.contains(where: { $0.plan >= 0 }) else { return nil }
        guard let bank else { throw AdapterError.invalidPlan("a request has an adapter plan but the generator has no adapter bank") }
        var offsets: [Int32] = []
        var plans: [FusionPlan] = []
        for s in sequences {
            offsets.append(Int32(plans.count))
            plans += s.plans
        }
        return AdapterSelection(bank: bank, plans: plans, planOfRow: rows.map { $0.plan < 0 ? -1 : offsets[$0.sequence] + $0.plan }, fused: fused)
    }
}
