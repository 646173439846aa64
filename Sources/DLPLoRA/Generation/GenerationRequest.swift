// GenerationRequest.swift: what to generate (prompt ids, limits, sampling, stop conditions) and what
// came out (ids, text, why it stopped, timings).

/// One sequence to continue.
public struct GenerationRequest: Sendable {
    public var promptIDs: [Int32]
    /// Most new tokens to produce.
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation ends after producing one of these (EOS ids); the id is kept in `tokenIDs`, not in `text`.
    public var stopTokenIDs: Set<Int32>
    /// Generation ends when the text contains one of these; the text is cut before it.
    public var stopStrings: [String]
    /// A fixed mix of the generator's adapters for the whole sequence (nil: the base model).
    public var plan: FusionPlan?
    /// Route the adapters instead: per sentence of the prompt and of the output, or once per prompt.
    public var router: SentenceRouter?
    /// The parts of the prompt's text the router reads, in order (a chat prompt's message contents, so
    /// the template's role markers and the system prompt are not routed); nil, or a part not found in
    /// the prompt's text: all of it.
    public var routedTexts: [String]?

    public init(promptIDs: [Int32], maxTokens: Int = 128, sampling: SamplingParameters = .greedy,
                stopTokenIDs: Set<Int32> = [], stopStrings: [String] = [], plan: FusionPlan? = nil,
                router: SentenceRouter? = nil) {
        self.promptIDs = promptIDs
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
        self.stopStrings = stopStrings
        self.plan = plan
        self.router = router
    }
}

extension GenerationRequest {
    /// The adapters the request's fixed plan or router refers to.
    public var adapterNames: [String] {
        (plan?.slots.map(\.adapter) ?? []) + (router?.router.adapterNames ?? [])
    }
}

/// Why a sequence stopped.
public enum FinishReason: String, Sendable, Codable {
    case endOfSequence = "eos", stopString = "stop", maxTokens = "length", contextFull = "context"
}

/// The outcome of one request.
public struct GenerationResult: Sendable {
    /// The new token ids (including a final EOS id, if that ended it).
    public var tokenIDs: [Int32]
    /// Their text (empty without a tokenizer), cut before a stop string, without EOS text.
    public var text: String
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Seconds of the steps that prefilled this sequence's prompt (shared with whatever else ran in them:
    /// Generator.generate prefills every prompt in one step), and of the steps that decoded its tokens.
    public var prefillSeconds: Double
    public var decodeSeconds: Double

    /// Prompt tokens per second of prefill.
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Generated tokens per second of decode (the first token comes from the prefill).
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 ? Double(max(tokenIDs.count - 1, 0)) / decodeSeconds : 0
    }
}
