// SequenceState.swift: everything one sequence of a generation owns: its request, sampler, streaming
// detokenizer, stop-string filter, token history (prompt + generated), adapter plans, and the result it
// is building. The generate loop keeps one per sequence and hands each its next token; what a token
// does (stop token, text, stop string, max tokens, a full context) is decided here, in one place.
import Foundation

struct SequenceState {
    let request: GenerationRequest
    var sampler: Sampler
    var detokenizer: StreamingDetokenizer?
    var filter: StopStringFilter
    /// Prompt and generated ids.
    var history: [Int32]
    var plans: SequencePlans
    var result: GenerationResult

    init(request: GenerationRequest, tokenizer: Tokenizer?, onRoute: (String, FusionPlan) -> Void) throws {
        self.request = request
        sampler = Sampler(parameters: request.sampling)
        detokenizer = tokenizer.map { StreamingDetokenizer(tokenizer: $0) }
        filter = StopStringFilter(stopStrings: request.stopStrings)
        history = request.promptIDs
        plans = try SequencePlans(request: request, tokenizer: tokenizer, onRoute: onRoute)
        result = GenerationResult(tokenIDs: [], text: "", finishReason: .maxTokens, promptTokens: request.promptIDs.count,
                                  prefillSeconds: 0, decodeSeconds: 0)
    }

    /// Whether it has anything to generate at all.
    var wantsTokens: Bool { request.maxTokens > 0 }

    /// The row this sequence adds to the next decode step: its last token at its last position.
    var nextRow: (token: Int32, position: Int32) { (history[history.count - 1], Int32(history.count - 1)) }

    /// Takes the next token; `onText` receives the text it makes final. Returns true while the sequence
    /// goes on, false once it has finished (its result then holds the text and the finish reason).
    mutating func accept(_ next: Int32, contextLength: Int, onText: (String) -> Void,
                         onRoute: (String, FusionPlan) -> Void) -> Bool {
        history.append(next)
        result.tokenIDs.append(next)
        if request.stopTokenIDs.contains(next) {
            result.finishReason = .endOfSequence
        } else {
            let piece = detokenizer?.append(next) ?? ""
            plans.observe(piece, onRoute: onRoute)
            let (release, stopped) = filter.append(piece)
            if !release.isEmpty { onText(release) }
            if stopped {
                result.finishReason = .stopString
            } else if result.tokenIDs.count >= request.maxTokens {
                result.finishReason = .maxTokens
            } else if history.count >= contextLength {
                result.finishReason = .contextFull
            } else {
                return true
            }
        }
        // finished: release held-back text
        if result.finishReason != .stopString {
            let tail = filter.append(detokenizer?.flush() ?? "").release + filter.flush()
            if !tail.isEmpty { onText(tail) }
        }
        result.text = filter.text
        return false
    }
}
