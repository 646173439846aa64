// GenerateCommand.swift: `dlp-gpu generate`: streams a continuation of a prompt to stdout and a timing
// summary (prompt and decode tokens/s) to stderr; `--json` prints one object instead.
import ArgumentParser
import DLPLoRA
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate a continuation of a prompt.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "The prompt text (needs a tokenizer in the model files).")
    var prompt: String?

    @Option(name: .long, help: "The prompt as token ids, e.g. 1,2,3 (instead of --prompt).")
    var ids: String?

    @Flag(name: .long, help: "Treat --prompt as a user message and wrap it in the model's chat template.")
    var chat = false

    @Option(name: .long, help: "With --chat: a system message.")
    var system: String?

    @Option(name: .long, help: "A conversation to continue, rendered with the model's chat template: a JSON list of messages (tool_calls and tool messages included) or an object with \"messages\" and \"tools\".")
    var messages: String?

    @Option(name: .long, help: "With --chat or --messages: a JSON file with a list of tool (function) definitions.")
    var tools: String?

    @Option(name: .long, help: "With --chat or --messages: an extra chat-template variable, name=value (value as JSON if it parses); repeatable. E.g. enable_thinking=false.")
    var chatVar: [String] = []

    @Option(name: .long, help: "Most new tokens.")
    var maxTokens: Int = 128

    @Option(name: .long, help: "0 is greedy decoding.")
    var temperature: Float = 0

    @Option(name: .long, help: "Keep the k most likely tokens (0: off).")
    var topK: Int = 0

    @Option(name: .long, help: "Nucleus sampling mass (1: off).")
    var topP: Float = 1

    @Option(name: .long, help: "Penalty for tokens already seen (1: off).")
    var repetitionPenalty: Float = 1

    @Option(name: .long, help: "Random seed: the same seed gives the same text.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Stop when the text contains this string (repeatable).")
    var stop: [String] = []

    @Flag(name: .long, help: "Print one JSON object (text, ids, finish reason, timings) instead of streaming.")
    var json = false

    @Flag(name: .long, help: "With --router: print each sentence's plan (on stderr) as it is chosen.")
    var showRouting = false

    func validate() throws {
        guard [prompt != nil, ids != nil, messages != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --prompt, --ids and --messages")
        }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be >= 0") }
        guard !chat || prompt != nil else { throw ValidationError("--chat needs --prompt") }
        guard system == nil || chat else { throw ValidationError("--system needs --chat") }
        guard (tools == nil && chatVar.isEmpty) || chat || messages != nil else { throw ValidationError("--tools and --chat-var need --chat or --messages") }
    }

    func run() throws {
        let (loaded, plan, router) = try options.load()
        let promptIDs: [Int32]
        var routedTexts: [String]?
        let chatting = chat || messages != nil
        if let ids {
            promptIDs = try parseIDs(ids)
        } else {
            guard let tokenizer = loaded.tokenizer else {
                throw ValidationError("\(options.model ?? "the model") has no tokenizer; pass the prompt as --ids")
            }
            if chatting {
                var conversation: ChatConversation
                if let messages {
                    conversation = try ChatConversation(messagesPath: messages, toolsPath: tools)
                } else {
                    let turns = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: prompt ?? "")]
                    conversation = ChatConversation(messages: turns.map(\.jinjaValue))
                    conversation.tools = try tools.flatMap(ChatConversation.loadTools)
                }
                let variables = Dictionary(try chatVar.map(ChatConversation.variable), uniquingKeysWith: { _, last in last })
                promptIDs = try tokenizer.applyChatTemplate(conversation.messages, tools: conversation.tools, variables: variables)
                routedTexts = ChatConversation.routedTexts(conversation.messages)
            } else {
                promptIDs = try tokenizer.encode(prompt ?? "")
            }
        }
        let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP,
                                          repetitionPenalty: repetitionPenalty, seed: seed)
        var request = GenerationRequest(promptIDs: promptIDs, maxTokens: maxTokens, sampling: sampling,
                                        stopTokenIDs: loaded.eosTokenIDs.union(chatting ? loaded.tokenizer?.chatEndOfTurnIDs ?? [] : []),
                                        stopStrings: stop, plan: plan, router: router)
        request.routedTexts = routedTexts
        let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer, contextLength: options.context,
                                  adapters: loaded.adapters)
        let streaming = !json && loaded.tokenizer != nil
        var routes: [[String: Any]] = []
        let results = try generator.generate([request], onText: { _, text in
            if streaming {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }, onRoute: { _, sentence, plan in
            routes.append(["sentence": sentence, "plan": plan.slots.map { ["adapter": $0.adapter, "weight": Double($0.weight)] }])
            if showRouting, !json { printError("[route] \(plan) <- \(sentence.debugDescription)") }
        })
        guard let result = results.first else { return }
        if json {
            try printJSON([
                "prompt_ids": promptIDs.map(Int.init), "ids": result.tokenIDs.map(Int.init), "text": result.text,
                "finish_reason": result.finishReason.rawValue, "prompt_tokens": result.promptTokens,
                "prefill_tokens_per_second": result.prefillTokensPerSecond,
                "decode_tokens_per_second": result.decodeTokensPerSecond,
                "device": loaded.model.backend.deviceDescription, "routing": routes,
            ])
            return
        }
        if streaming {
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            print(result.tokenIDs.map(String.init).joined(separator: ","))
        }
        printError(String(format: "[%@] prompt %d tokens, %.1f tokens/s | generated %d tokens, %.1f tokens/s | stop: %@",
                          loaded.model.backend.deviceDescription, result.promptTokens, result.prefillTokensPerSecond,
                          result.tokenIDs.count, result.decodeTokensPerSecond, result.finishReason.rawValue))
    }
}
