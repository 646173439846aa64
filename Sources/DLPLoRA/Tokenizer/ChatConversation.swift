// ChatConversation.swift: a conversation as files give it: a messages JSON file (a list of message
// objects, or an object with "messages" and optionally "tools", as an OpenAI request body has them), a
// tools JSON file (a list of function definitions), and `name=value` template variables.
import Foundation

public struct ChatConversation: Sendable {
    public var messages: [JinjaValue]
    public var tools: [JinjaValue]?

    public init(messages: [JinjaValue], tools: [JinjaValue]? = nil) {
        self.messages = messages
        self.tools = tools
    }

    /// Reads `messagesPath` (and `toolsPath`); every message must be an object with a string "role".
    public init(messagesPath: String, toolsPath: String? = nil) throws {
        let root = try Self.readJSON(messagesPath)
        var tools: JinjaValue? = nil
        switch root {
        case let .list(items):
            messages = items
        case let .dict(object):
            guard case let .list(items)? = object["messages"] else {
                throw ChatTemplateError.invalidInput("\(messagesPath): expected a list of messages or an object with a \"messages\" list")
            }
            messages = items
            tools = object["tools"]
        default:
            throw ChatTemplateError.invalidInput("\(messagesPath): expected a list of messages or an object with a \"messages\" list")
        }
        for (i, message) in messages.enumerated() {
            guard case let .dict(fields) = message, case .string? = fields["role"] else {
                throw ChatTemplateError.invalidInput("\(messagesPath): message \(i) is not an object with a string \"role\"")
            }
        }
        if let toolsPath { tools = try Self.readJSON(toolsPath) }
        self.tools = try Self.toolList(tools, path: toolsPath ?? messagesPath)
    }

    /// The tool definitions in `path` (a JSON list).
    public static func loadTools(_ path: String) throws -> [JinjaValue]? {
        try toolList(try readJSON(path), path: path)
    }

    private static func toolList(_ value: JinjaValue?, path: String) throws -> [JinjaValue]? {
        switch value {
        case nil, .none?: return nil
        case let .list(items)?: return items
        default: throw ChatTemplateError.invalidInput("\(path): \"tools\" must be a list of function definitions")
        }
    }

    private static func readJSON(_ path: String) throws -> JinjaValue {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ChatTemplateError.invalidInput("\(path): cannot read the file (\(error.localizedDescription))")
        }
        do {
            return try JinjaValue.parseJSON(data)
        } catch {
            throw ChatTemplateError.invalidInput("\(path): \(error)")
        }
    }

    /// What a router reads of a conversation: the string contents of its messages, the system
    /// messages' left out (GenerationRequest.routedTexts).
    public static func routedTexts(_ messages: [JinjaValue]) -> [String] {
        messages.compactMap { message in
            guard case let .dict(fields) = message, case let .string(role)? = fields[.string("role")], role != "system",
                  case let .string(content)? = fields[.string("content")] else { return nil }
            return content
        }
    }

    /// `name=value` -> (name, value): the value is read as JSON when it is JSON (true, 3, "x", [..]),
    /// otherwise taken as a string.
    public static func variable(_ assignment: String) throws -> (String, JinjaValue) {
        guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
            throw ChatTemplateError.invalidInput("template variable \(assignment.debugDescription): expected name=value")
        }
        let name = String(assignment[..<eq])
        let text = String(assignment[assignment.index(after: eq)...])
        return (name, (try? JinjaValue.parseJSON(text)) ?? .string(text))
    }
}
