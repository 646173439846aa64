// ChatTemplate.swift: a model's chat_template, recognized as one of the forms in wide use (ChatML as in
// SmolLM2 and Qwen2, Llama-3, Llama-2, Mistral) and rendered exactly as transformers' Jinja renderer
// renders it, without a Jinja interpreter. A template of another form is an error that says so.
import Foundation

/// One turn of a conversation.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A chat template cannot be used for this conversation.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
    case unsupported(String)
    case invalidConversation(String)
    case noTemplate

    public var description: String {
        switch self {
        case let .unsupported(excerpt):
            return "the model's chat template is not one of the supported forms (ChatML, Llama-3, Llama-2, Mistral): \(excerpt)... ; write the prompt yourself and drop --chat"
        case let .invalidConversation(message): return message
        case .noTemplate: return "the model files carry no chat_template; drop --chat"
        }
    }
}

/// A recognized chat template.
public struct ChatTemplate: Sendable, Equatable {
    public enum Form: Sendable, Equatable {
        /// <|im_start|>role\ncontent<|im_end|>\n; the system message the template adds when the
        /// conversation has none.
        case chatML(defaultSystem: String?)
        case llama3
        case llama2
        case mistral
    }

    public let form: Form

    /// Recognizes `source` (the Jinja text of chat_template).
    public init(source: String) throws {
        if source.contains("<|im_start|>") {
            form = .chatML(defaultSystem: Self.chatMLDefaultSystem(source))
        } else if source.contains("<|start_header_id|>"), !source.contains("Cutting Knowledge Date"), !source.contains("tools") {
            form = .llama3
        } else if source.contains("[INST]"), source.contains("<<SYS>>") {
            form = .llama2
        } else if source.contains("[INST]"), !source.contains("tools"), !source.contains("[AVAILABLE_TOOLS]") {
            form = .mistral
        } else {
            throw ChatTemplateError.unsupported(String(source.prefix(80)).debugDescription)
        }
    }

    /// The literal system text a ChatML template writes when the first message is not a system one.
    static func chatMLDefaultSystem(_ source: String) -> String? {
        // the newline after "system" is a real one or the escape \n inside a Jinja string literal
        guard let regex = try? NSRegularExpression(pattern: #"<\|im_start\|>system(?:\\n|\n)((?:(?!<\|im_end\|>)[^{}'+])*)<\|im_end\|>"#, options: [.dotMatchesLineSeparators]),
              let match = regex.firstMatch(in: source, range: NSRange(source.startIndex..., in: source)),
              let range = Range(match.range(at: 1), in: source) else { return nil }
        return String(source[range]).replacingOccurrences(of: "\\n", with: "\n")
    }

    /// The token that ends an assistant turn in this form (generation stops there).
    public var endOfTurnToken: String? {
        switch form {
        case .chatML: return "<|im_end|>"
        case .llama3: return "<|eot_id|>"
        case .llama2, .mistral: return nil
        }
    }

    /// The prompt text of `messages`; with `addGenerationPrompt` it ends where the assistant's reply starts.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String) throws -> String {
        guard !messages.isEmpty else { throw ChatTemplateError.invalidConversation("the conversation has no messages") }
        func strip(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        func alternate(_ turns: ArraySlice<ChatMessage>) throws {
            for (i, m) in turns.enumerated() where (m.role == "user") != (i % 2 == 0) {
                throw ChatTemplateError.invalidConversation("conversation roles must alternate user/assistant/user/assistant/...")
            }
        }
        var out = ""
        switch form {
        case let .chatML(defaultSystem):
            if messages[0].role != "system", let defaultSystem { out += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n" }
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            for (i, m) in messages.enumerated() {
                out += (i == 0 ? bosToken : "") + "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(strip(m.content))<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .llama2:
            let system = messages[0].role == "system" ? messages[0].content : nil
            let turns = system == nil ? messages[...] : messages.dropFirst()
            try alternate(turns)
            for (i, m) in turns.enumerated() {
                let content = i == 0 && system != nil ? "<<SYS>>\n\(system ?? "")\n<</SYS>>\n\n\(m.content)" : m.content
                if m.role == "user" { out += "\(bosToken)[INST] \(strip(content)) [/INST]" } else { out += " \(strip(content)) \(eosToken)" }
            }
        case .mistral:
            try alternate(messages[...])
            out += bosToken
            for m in messages {
                switch m.role {
                case "user": out += "[INST] \(m.content) [/INST]"
                case "assistant": out += m.content + eosToken
                default: throw ChatTemplateError.invalidConversation("only user and assistant roles are supported by this template")
                }
            }
        }
        return out
    }
}

extension Tokenizer {
    /// The id of the token that ends an assistant turn under this model's chat template, if any.
    public var chatEndOfTurnID: Int32? {
        guard let source = chatTemplate, let token = (try? ChatTemplate(source: source))?.endOfTurnToken else { return nil }
        return tokens.firstIndex(of: token).map { Int32($0) }
    }

    /// The ids of `messages` rendered with this model's chat template (special tokens in the rendered
    /// text become their ids; no BOS is added beyond what the template writes).
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> [Int32] {
        guard let source = chatTemplate else { throw ChatTemplateError.noTemplate }
        let template = try ChatTemplate(source: source)
        let bos = bosTokenID.map { tokens[Int($0)] } ?? ""
        let eos = eosTokenID.map { tokens[Int($0)] } ?? ""
        let text = try template.render(messages, addGenerationPrompt: addGenerationPrompt, bosToken: bos, eosToken: eos)
        return try encode(text, addSpecialTokens: false, parseSpecial: true)
    }
}
