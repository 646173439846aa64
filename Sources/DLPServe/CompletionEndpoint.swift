// CompletionEndpoint.swift: POST /v1/completions and /v1/chat/completions. The request is parsed and
// queued before any byte of the response is written (so a bad request is a 4xx and a full queue a 429);
// then either one JSON response, or server-sent events: a chunk per piece of text, the finish reason in
// the last chunk, usage when asked (stream_options.include_usage), `data: [DONE]`. With model `dlp`,
// the plan of every sentence rides along: `dlp_routing` on the response, and on the next chunk streamed
// after the plan was picked. The request is cancelled when its connection closes.
import DLPLoRA
import Foundation
import Hummingbird

struct CompletionEndpoint {
    let served: ServedModel
    let chat: Bool

    /// One routing decision as the API shows it.
    static func routing(_ sentence: String, _ plan: FusionPlan) -> [String: Any] {
        ["sentence": sentence, "plan": plan.slots.map { ["adapter": $0.adapter, "weight": Double($0.weight)] }]
    }

    /// `watcher` cancels the request when the client's connection closes.
    func respond(body: [UInt8], watcher: DisconnectWatcher) async throws -> Response {
        let parsed = try CompletionRequest(json: body, chat: chat)
        let request = try served.generationRequest(parsed)
        let submission = try served.scheduler.submit(request, label: parsed.choice.model)
        watcher.watch(submission.cancel)
        let id = (chat ? "chatcmpl-" : "cmpl-") + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let created = Int(Date().timeIntervalSince1970)
        let shape = ChunkShape(id: id, created: created, model: parsed.choice.model, chat: chat)
        let routed = request.router != nil
        if parsed.stream {
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                defer { watcher.clear() }
                                try await Self.stream(submission, shape: shape, routed: routed, includeUsage: parsed.includeUsage,
                                                      writer: &writer)
                            })
        }
        defer {
            watcher.clear()
            submission.cancel()
        }
        var text = ""
        var routes: [[String: Any]] = []
        for try await event in submission.events {
            switch event {
            case let .text(piece): text += piece
            case let .route(sentence, plan): routes.append(Self.routing(sentence, plan))
            case let .finished(result):
                let reason = Self.finishReason(result.finishReason)
                var choice: [String: Any] = ["index": 0, "finish_reason": reason, "logprobs": NSNull()]
                if shape.chat {
                    choice["message"] = ["role": "assistant", "content": text]
                } else {
                    choice["text"] = text
                }
                var object: [String: Any] = [
                    "id": shape.id, "object": shape.chat ? "chat.completion" : "text_completion", "created": shape.created,
                    "model": shape.model, "choices": [choice], "usage": Self.usage(result),
                ]
                if routed { object["dlp_routing"] = routes }
                return JSONBody.response(object)
            }
        }
        try Task.checkCancellation()
        throw APIError(status: .internalServerError, type: "server_error", message: "the request ended without a result", code: "internal_error")
    }

    private static func stream(_ submission: Scheduler.Submission, shape: ChunkShape, routed: Bool, includeUsage: Bool,
                               writer: inout any ResponseBodyWriter) async throws {
        // however this ends (a write to a closed connection throws), the request stops
        defer { submission.cancel() }
        var pendingRoutes: [[String: Any]] = []
        func send(_ object: [String: Any], routes: Bool = true) async throws {
            var object = object
            if routes, routed, !pendingRoutes.isEmpty {
                object["dlp_routing"] = pendingRoutes
                pendingRoutes.removeAll()
            }
            try await writer.write(ByteBuffer(bytes: Array("data: ".utf8) + JSONBody.encode(object) + Array("\n\n".utf8)))
        }
        if shape.chat { try await send(shape.chunk(delta: ["role": "assistant", "content": ""], finish: nil)) }
        do {
            for try await event in submission.events {
                switch event {
                case let .route(sentence, plan):
                    pendingRoutes.append(routing(sentence, plan))
                case let .text(piece):
                    try await send(shape.chunk(delta: shape.chat ? ["content": piece] : ["text": piece], finish: nil))
                case let .finished(result):
                    try await send(shape.chunk(delta: shape.chat ? [:] : ["text": ""], finish: finishReason(result.finishReason)))
                    if includeUsage {
                        var last = shape.chunk(delta: [:], finish: nil)
                        last["choices"] = [[String: Any]]()
                        last["usage"] = usage(result)
                        try await send(last)
                    }
                }
            }
        } catch {
            // the scheduler ended the request (timeout, shutdown, a failed step): say so in the stream
            // (when the client is gone, this write throws too and the handler ends)
            try await send(APIError.from(error).body, routes: false)
        }
        try await writer.write(ByteBuffer(bytes: Array("data: [DONE]\n\n".utf8)))
        try await writer.finish(nil)
    }

    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .endOfSequence, .stopString: return "stop"
        case .maxTokens, .contextFull: return "length"
        }
    }

    static func usage(_ result: GenerationResult) -> [String: Any] {
        ["prompt_tokens": result.promptTokens, "completion_tokens": result.tokenIDs.count,
         "total_tokens": result.promptTokens + result.tokenIDs.count]
    }
}

/// The fields every chunk of one response shares.
struct ChunkShape: Sendable {
    let id: String
    let created: Int
    let model: String
    let chat: Bool

    func chunk(delta: [String: Any], finish: String?) -> [String: Any] {
        var choice: [String: Any] = ["index": 0, "finish_reason": finish ?? NSNull(), "logprobs": NSNull()]
        if chat {
            choice["delta"] = delta
        } else {
            choice["text"] = delta["text"] ?? ""
        }
        return ["id": id, "object": chat ? "chat.completion.chunk" : "text_completion", "created": created, "model": model,
                "choices": [choice]]
    }
}
