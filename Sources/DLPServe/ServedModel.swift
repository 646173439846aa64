// ServedModel.swift: what the server serves once loading is done: the model, its tokenizer and
// adapters, the router (the `dlp` model), the scheduler that owns them, and the adapters' stable ids
// (GET /lora-adapters; an id is never reused after an unload, so a client's `lora` list cannot silently
// point at another adapter). It turns a parsed request into a GenerationRequest.
import DLPLoRA
import Foundation

final class ServedModel: @unchecked Sendable {
    struct AdapterEntry: Sendable {
        let id: Int
        let name: String
        let path: String
    }

    let loaded: LoadedModel
    /// The base model's name in /v1/models (also accepted: "base").
    let name: String
    let router: SentenceRouter?
    let scheduler: Scheduler
    let contextLength: Int
    private let lock = NSLock()
    private var entries: [AdapterEntry] = []
    private var nextID = 0

    /// The model id that routes adapters per sentence.
    static let routedModel = "dlp"

    init(loaded: LoadedModel, name: String, router: SentenceRouter?, scheduler: Scheduler, adapterPaths: [String: String]) {
        self.loaded = loaded
        self.name = name
        self.router = router
        self.scheduler = scheduler
        contextLength = scheduler.engine.options.contextLength
        for adapter in loaded.adapters.names { register(name: adapter, path: adapterPaths[adapter] ?? "") }
    }

    var adapters: [AdapterEntry] { lock.withLock { entries } }

    func register(name: String, path: String) {
        lock.withLock {
            entries.append(AdapterEntry(id: nextID, name: name, path: path))
            nextID += 1
        }
    }

    func forget(name: String) {
        lock.withLock { entries.removeAll { $0.name == name } }
    }

    /// The generation request for `request`: its prompt ids, limits, stop conditions and adapters.
    func generationRequest(_ request: CompletionRequest) throws -> GenerationRequest {
        var promptIDs: [Int32]
        var stopIDs = loaded.eosTokenIDs
        switch request.prompt {
        case let .ids(ids):
            promptIDs = ids
        case let .text(text):
            guard let tokenizer = loaded.tokenizer else { throw APIError.invalid("this model has no tokenizer: give the prompt as token ids", param: "prompt") }
            promptIDs = try tokenizer.encode(text)
        case let .chat(messages, tools, variables):
            guard let tokenizer = loaded.tokenizer else { throw APIError.invalid("this model has no tokenizer, so no chat template", param: "messages") }
            promptIDs = try tokenizer.applyChatTemplate(messages, tools: tools, variables: variables)
            stopIDs.formUnion(tokenizer.chatEndOfTurnIDs)
        }
        if request.ignoreEOS { stopIDs = [] }
        // an empty prompt, ids outside the vocabulary and too many stop strings are the engine's to refuse
        // (Scheduler.submit validates); the room for max_tokens is the server's own rule
        let room = contextLength - promptIDs.count
        let maxTokens: Int
        if let asked = request.maxTokens {
            maxTokens = asked
        } else if case .chat = request.prompt {
            maxTokens = max(room, 0)
        } else {
            maxTokens = min(16, max(room, 0))
        }
        // compared without adding: max_tokens may be as large as JSON integers go
        guard maxTokens <= room, room > 0 || maxTokens == 0 else {
            throw APIError.invalid("this model's context is \(contextLength) tokens; the request asks for \(promptIDs.count) in the prompt and \(maxTokens) to generate",
                                   param: "max_tokens", code: "context_length_exceeded")
        }
        var generation = GenerationRequest(promptIDs: promptIDs, maxTokens: maxTokens, sampling: request.sampling,
                                           stopTokenIDs: stopIDs, stopStrings: request.stop)
        // the router reads the messages, not the template's role markers and system prompt
        if case let .chat(messages, _, _) = request.prompt { generation.routedTexts = ChatConversation.routedTexts(messages) }
        try choose(request.choice, for: &generation)
        return generation
    }

    /// Sets the request's plan or router from `model` and `lora`.
    private func choose(_ choice: AdapterChoice, for request: inout GenerationRequest) throws {
        let known = adapters
        var slots: [FusionPlan.Slot] = []
        var mentioned: Set<String> = []
        for (ref, scale) in choice.lora {
            let entry: AdapterEntry?
            switch ref {
            case let .id(id): entry = known.first { $0.id == id }
            case let .name(name): entry = known.first { $0.name == name }
            }
            guard let entry else {
                throw APIError.notFound("no adapter \(ref) is loaded (GET /lora-adapters lists them)", param: "lora", code: "adapter_not_found")
            }
            guard mentioned.insert(entry.name).inserted else {
                throw APIError.invalid("adapter '\(entry.name)' is named twice in 'lora'", param: "lora")
            }
            if scale != 0 { slots.append(.init(adapter: entry.name, weight: scale)) }
        }
        switch choice.model {
        case name, "base":
            break
        case Self.routedModel:
            guard let router else { throw APIError.notFound("model 'dlp' needs a router; this server was started without one") }
            guard choice.lora.isEmpty else { throw APIError.invalid("model 'dlp' picks the adapters itself; leave out 'lora'", param: "lora") }
            request.router = router
            return
        default:
            guard known.contains(where: { $0.name == choice.model }) else {
                throw APIError.notFound("the model '\(choice.model)' does not exist (GET /v1/models lists them)")
            }
            // the model's own adapter at scale 1, unless the lora list sets its scale
            if !mentioned.contains(choice.model) {
                slots.insert(.init(adapter: choice.model, weight: 1), at: 0)
            }
        }
        if !slots.isEmpty { request.plan = FusionPlan(slots) }
    }
}
