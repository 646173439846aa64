// ChatTemplate.swift: a model's chat_template, rendered by the Jinja interpreter (Template/) with the
// variables transformers' apply_chat_template passes: messages, tools (None without tools), documents
// (None), add_generation_prompt, bos_token, eos_token and any extra keyword (enable_thinking, ...).
import Foundation

/// One turn of a conversation with text content (messages with tool calls or other fields are
/// `JinjaValue` dicts; see `ChatTemplate.render(messages:...)`).
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// The message as the template sees it: {"role": ..., "content": ...}.
    public var jinjaValue: JinjaValue { ["role": .string(role), "content": .string(content)] }
}

/// A chat template cannot be used, or refused the conversation.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
    case noTemplate
    /// The template does not parse (or uses a filter or test Jinja2 does not have).
    case invalidTemplate(JinjaError)
    /// The template called raise_exception: it refuses this conversation (the template's own words).
    case refused(String)
    /// Rendering failed (an undefined value used, a type error, a bound reached, something unsupported).
    case renderFailed(JinjaError)
    /// A messages or tools file is not what the template expects to get.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .noTemplate: return "the model files carry no chat_template; drop --chat"
        case let .invalidTemplate(e): return "the chat template is not valid Jinja: \(e)"
        case let .refused(message): return "the chat template refused the conversation: \(message)"
        case let .renderFailed(e): return "the chat template failed: \(e)"
        case let .invalidInput(message): return message
        }
    }
}

/// A parsed chat template.
public struct ChatTemplate: Sendable {
    /// The Jinja source.
    public let source: String
    private let template: JinjaTemplate

    public init(source: String) throws {
        self.source = source
        do {
            template = try JinjaTemplate(source)
        } catch let error as JinjaError {
            throw ChatTemplateError.invalidTemplate(error)
        }
    }

    /// Tokens that end an assistant turn in the common template families, in the order tried.
    static let endOfTurnMarkers = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>",
                                   "<|END_OF_TURN_TOKEN|>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<|return|>"]

    /// The turn-ending tokens this template writes (generation should stop at them as well as at EOS).
    public var endOfTurnTokens: [String] { Self.endOfTurnMarkers.filter { source.contains($0) } }

    /// The prompt text of `messages` (dicts with role, content and whatever else the template reads:
    /// tool_calls, tool_call_id, name, reasoning_content ...); `tools` are JSON-schema function
    /// definitions; `variables` are extra keyword arguments and override the others.
    public func render(messages: [JinjaValue], tools: [JinjaValue]? = nil, addGenerationPrompt: Bool, bosToken: String,
                       eosToken: String, variables: [String: JinjaValue] = [:],
                       options: JinjaRenderOptions = JinjaRenderOptions()) throws -> String {
        var context: [String: JinjaValue] = [
            "messages": .list(messages), "tools": tools.map { .list($0) } ?? .none, "documents": .none,
            "add_generation_prompt": .bool(addGenerationPrompt), "bos_token": .string(bosToken), "eos_token": .string(eosToken),
        ]
        context.merge(variables) { _, extra in extra }
        do {
            return try template.render(context, options: options)
        } catch let error as JinjaError {
            throw error.kind == .raised ? ChatTemplateError.refused(error.message) : ChatTemplateError.renderFailed(error)
        }
    }

    /// The prompt text of a conversation of plain text messages.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String) throws -> String {
        try render(messages: messages.map(\.jinjaValue), addGenerationPrompt: addGenerationPrompt, bosToken: bosToken, eosToken: eosToken)
    }
}

extension Tokenizer {
    /// The ids of the tokens that end an assistant turn under this model's chat template.
    public var chatEndOfTurnIDs: Set<Int32> {
        guard let source = chatTemplate else { return [] }
        return Set(ChatTemplate.endOfTurnMarkers.filter { source.contains($0) }.compactMap { marker in
            tokens.firstIndex(of: marker).map { Int32($0) }
        })
    }

    /// The BOS and EOS token texts the template gets ("" when the model has none).
    public var specialTokenTexts: (bos: String, eos: String) {
        func text(_ id: Int32?) -> String {
            guard let id, id >= 0, Int(id) < tokens.count else { return "" }
            return tokens[Int(id)]
        }
        return (text(bosTokenID), text(eosTokenID))
    }

    /// The ids of `messages` rendered with this model's chat template (special tokens in the rendered
    /// text become their ids; no BOS is added beyond what the template writes).
    public func applyChatTemplate(_ messages: [JinjaValue], tools: [JinjaValue]? = nil, addGenerationPrompt: Bool = true,
                                  variables: [String: JinjaValue] = [:]) throws -> [Int32] {
        guard let source = chatTemplate else { throw ChatTemplateError.noTemplate }
        let special = specialTokenTexts
        let text = try ChatTemplate(source: source).render(messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt,
                                                           bosToken: special.bos, eosToken: special.eos, variables: variables)
        return try encode(text, addSpecialTokens: false, parseSpecial: true)
    }

    /// The ids of a conversation of plain text messages.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> [Int32] {
        try applyChatTemplate(messages.map(\.jinjaValue), addGenerationPrompt: addGenerationPrompt)
    }
}
