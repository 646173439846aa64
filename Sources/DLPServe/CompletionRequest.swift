// CompletionRequest.swift: the body of POST /v1/completions and /v1/chat/completions, read from JSON
// (the library's hardened parser) into what the scheduler needs: the prompt (text, token ids or chat
// messages), limits, sampling, stop strings, streaming, and which adapters (the `model` field and
// llama.cpp's `lora` list). Every field is checked; a bad one is a 400 that names it.
import DLPLoRA
import Foundation

/// How a request picks its adapters before the model's adapters are looked up.
struct AdapterChoice {
    /// The `model` field.
    var model: String
    /// llama.cpp's per-request `lora` list: by stable id or by name, with a scale.
    var lora: [(ref: AdapterRef, scale: Float)]
}

enum AdapterRef: Equatable {
    case id(Int)
    case name(String)
}

/// What the prompt is.
enum PromptInput {
    case text(String)
    case ids([Int32])
    case chat(messages: [JinjaValue], tools: [JinjaValue]?, variables: [String: JinjaValue])
}

struct CompletionRequest {
    var prompt: PromptInput
    var choice: AdapterChoice
    /// nil: completions take 16 (OpenAI's default), chat takes the rest of the context.
    var maxTokens: Int?
    var sampling: SamplingParameters
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool
    /// Generate through end-of-sequence tokens (vLLM's and llama.cpp's `ignore_eos`, for benchmarks).
    var ignoreEOS: Bool

    /// Reads a request body; `chat` selects the chat completions shape (`messages` instead of `prompt`).
    init(json body: [UInt8], chat: Bool) throws {
        let fields = try Fields.object(body)
        let f = Fields(fields)

        guard let model = try f.string("model") else { throw APIError.invalid("'model' is required", param: "model") }
        var lora: [(AdapterRef, Float)] = []
        if let items = try f.list("lora") {
            guard items.count <= 64 else { throw APIError.invalid("at most 64 entries in 'lora'", param: "lora") }
            for (i, item) in items.enumerated() {
                guard case let .dict(entry) = item else { throw APIError.invalid("lora[\(i)] must be an object with 'id' or 'name', and 'scale'", param: "lora") }
                let e = Fields(entry, prefix: "lora[\(i)].")
                let scale = try e.number("scale") ?? 1
                guard scale.isFinite, abs(scale) <= Double(FusionPlan.maximumWeight) else {
                    throw APIError.invalid("lora[\(i)].scale must be a number from -\(Int(FusionPlan.maximumWeight)) to \(Int(FusionPlan.maximumWeight))", param: "lora")
                }
                if let id = try e.int("id") {
                    lora.append((.id(id), Float(scale)))
                } else if let name = try e.string("name") {
                    lora.append((.name(name), Float(scale)))
                } else {
                    throw APIError.invalid("lora[\(i)] needs an 'id' (from GET /lora-adapters) or a 'name'", param: "lora")
                }
            }
        }
        choice = AdapterChoice(model: model, lora: lora)

        if chat {
            guard let messages = try f.list("messages"), !messages.isEmpty else {
                throw APIError.invalid("'messages' must be a non-empty list", param: "messages")
            }
            let normalized = try messages.enumerated().map { try Self.message($1, index: $0) }
            var variables: [String: JinjaValue] = [:]
            if let kwargs = fields[.string("chat_template_kwargs")] {
                guard case let .dict(extra) = kwargs else { throw APIError.invalid("'chat_template_kwargs' must be an object", param: "chat_template_kwargs") }
                for (key, value) in extra.pairs { if case let .string(name) = key { variables[name] = value } }
            }
            prompt = .chat(messages: normalized, tools: try f.list("tools"), variables: variables)
            maxTokens = try f.int("max_completion_tokens") ?? f.int("max_tokens")
            if let logprobs = try f.bool("logprobs"), logprobs { throw APIError.invalid("logprobs are not supported", param: "logprobs") }
        } else {
            prompt = try Self.prompt(fields[.string("prompt")])
            maxTokens = try f.int("max_tokens")
            if try f.int("logprobs") != nil { throw APIError.invalid("logprobs are not supported", param: "logprobs") }
            if let echo = try f.bool("echo"), echo { throw APIError.invalid("echo is not supported", param: "echo") }
            if let bestOf = try f.int("best_of"), bestOf != 1 { throw APIError.invalid("best_of must be 1", param: "best_of") }
        }
        if let maxTokens, maxTokens < 0 { throw APIError.invalid("max_tokens must be >= 0", param: "max_tokens") }
        if let n = try f.int("n"), n != 1 { throw APIError.invalid("only n=1 is supported", param: "n") }
        for name in ["presence_penalty", "frequency_penalty"] {
            if let value = try f.number(name), value != 0 { throw APIError.invalid("\(name) is not supported (use repetition_penalty)", param: name) }
        }
        if let bias = fields[.string("logit_bias")], case let .dict(entries) = bias, !entries.isEmpty {
            throw APIError.invalid("logit_bias is not supported", param: "logit_bias")
        }

        let temperature = try f.number("temperature") ?? 1
        let topP = try f.number("top_p") ?? 1
        let topK = try f.int("top_k") ?? 0
        let repetition = try f.number("repetition_penalty") ?? 1
        let seed: UInt64
        if let given = try f.int("seed") {
            seed = UInt64(bitPattern: Int64(given))
        } else {
            seed = UInt64.random(in: 0...UInt64.max)
        }
        guard (0...2).contains(temperature) else { throw APIError.invalid("temperature must be from 0 to 2", param: "temperature") }
        guard topP > 0, topP <= 1 else { throw APIError.invalid("top_p must be in (0, 1]", param: "top_p") }
        guard topK >= 0 else { throw APIError.invalid("top_k must be >= 0", param: "top_k") }
        guard repetition > 0, repetition <= 10 else { throw APIError.invalid("repetition_penalty must be in (0, 10]", param: "repetition_penalty") }
        sampling = SamplingParameters(temperature: Float(temperature), topK: topK, topP: Float(topP),
                                      repetitionPenalty: Float(repetition), seed: seed)

        switch fields[.string("stop")] {
        case nil, .none?: stop = []
        case let .string(s)?: stop = [s]
        case let .list(items)?:
            stop = try items.map {
                guard case let .string(s) = $0 else { throw APIError.invalid("'stop' must be a string or a list of strings", param: "stop") }
                return s
            }
        default: throw APIError.invalid("'stop' must be a string or a list of strings", param: "stop")
        }
        stop = stop.filter { !$0.isEmpty }
        stream = try f.bool("stream") ?? false
        ignoreEOS = try f.bool("ignore_eos") ?? false
        includeUsage = false
        if let options = fields[.string("stream_options")], case let .dict(o) = options {
            includeUsage = try Fields(o, prefix: "stream_options.").bool("include_usage") ?? false
        }
    }

    /// A completions prompt: a string, a list of one string, token ids, or a list of one list of ids.
    private static func prompt(_ value: JinjaValue?) throws -> PromptInput {
        switch value {
        case let .string(s)?: return .text(s)
        case let .list(items)? where items.count == 1:
            if case let .string(s) = items[0] { return .text(s) }
            if case let .list(ids) = items[0] { return .ids(try tokenIDs(ids)) }
            return .ids(try tokenIDs(items))
        case let .list(items)? where !items.isEmpty:
            if case .int = items[0] { return .ids(try tokenIDs(items)) }
            throw APIError.invalid("one prompt per request: give a string or a list of token ids", param: "prompt")
        default:
            throw APIError.invalid("'prompt' must be a non-empty string or a list of token ids", param: "prompt")
        }
    }

    private static func tokenIDs(_ items: [JinjaValue]) throws -> [Int32] {
        try items.map {
            guard case let .int(id) = $0, id >= 0, id <= Int(Int32.max) else {
                throw APIError.invalid("'prompt' token ids must be non-negative integers", param: "prompt")
            }
            return Int32(id)
        }
    }

    /// A chat message with a string role; list content made of text parts is joined into one string.
    private static func message(_ value: JinjaValue, index: Int) throws -> JinjaValue {
        guard case var .dict(fields) = value, case .string? = fields[.string("role")] else {
            throw APIError.invalid("messages[\(index)] must be an object with a string 'role'", param: "messages")
        }
        if case let .list(parts)? = fields[.string("content")] {
            let texts: [String] = try parts.map {
                guard case let .dict(part) = $0, case .string("text")? = part[.string("type")], case let .string(text)? = part[.string("text")] else {
                    throw APIError.invalid("messages[\(index)].content: only text parts ({\"type\": \"text\", \"text\": ...}) are supported", param: "messages")
                }
                return text
            }
            fields[.string("content")] = .string(texts.joined())
        }
        return .dict(fields)
    }
}

/// Typed reads of JSON object fields; a field of the wrong type is a 400 naming it. JSON null reads as absent.
struct Fields {
    let fields: JinjaDict
    var prefix = ""

    init(_ fields: JinjaDict, prefix: String = "") {
        self.fields = fields
        self.prefix = prefix
    }

    /// A request body that must be one JSON object.
    static func object(_ body: [UInt8]) throws -> JinjaDict {
        let root: JinjaValue
        do {
            root = try JinjaValue.parseJSON(String(decoding: body, as: UTF8.self))
        } catch {
            throw APIError.invalid("the body is not valid JSON: \(error)")
        }
        guard case let .dict(fields) = root else { throw APIError.invalid("the body must be a JSON object") }
        return fields
    }

    private func value(_ name: String) -> JinjaValue? {
        switch fields[.string(name)] {
        case nil, .none?: return nil
        case let v?: return v
        }
    }

    func string(_ name: String) throws -> String? {
        guard let v = value(name) else { return nil }
        guard case let .string(s) = v else { throw APIError.invalid("'\(prefix)\(name)' must be a string", param: name) }
        return s
    }

    func int(_ name: String) throws -> Int? {
        guard let v = value(name) else { return nil }
        switch v {
        case let .int(i): return i
        case let .float(d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: throw APIError.invalid("'\(prefix)\(name)' must be an integer", param: name)
        }
    }

    func number(_ name: String) throws -> Double? {
        guard let v = value(name) else { return nil }
        switch v {
        case let .int(i): return Double(i)
        case let .float(d) where d.isFinite: return d
        default: throw APIError.invalid("'\(prefix)\(name)' must be a number", param: name)
        }
    }

    func bool(_ name: String) throws -> Bool? {
        guard let v = value(name) else { return nil }
        guard case let .bool(b) = v else { throw APIError.invalid("'\(prefix)\(name)' must be true or false", param: name) }
        return b
    }

    func list(_ name: String) throws -> [JinjaValue]? {
        guard let v = value(name) else { return nil }
        guard case let .list(items) = v else { throw APIError.invalid("'\(prefix)\(name)' must be a list", param: name) }
        return items
    }
}
