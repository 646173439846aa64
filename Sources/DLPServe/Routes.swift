// Routes.swift: the HTTP routes. Every handler answers errors in OpenAI's JSON shape (APIError) and
// counts its response by route and status. Bodies must be JSON (415 otherwise) and at most
// `maxBodyBytes` (413).
import DLPLoRA
import Foundation
import Hummingbird
import NIOCore

/// The request context: Hummingbird's, plus the connection (to cancel a request when it closes).
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Errors Hummingbird raises itself (no such route, wrong method) in OpenAI's JSON shape too.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : (error.body ?? "\(error.status)")
            return APIError(status: error.status, type: "invalid_request_error", message: message,
                            code: error.status == .notFound ? "not_found" : nil).response
        }
    }
}

extension OpenAIServer {
    func makeRouter() -> Hummingbird.Router<ServerContext> {
        let router = Hummingbird.Router(context: ServerContext.self)
        router.add(middleware: OpenAIErrorMiddleware())
        router.get("/health") { _, _ in
            await self.answer("/health") {
                let (status, word) = self.state.health
                return JSONBody.response(["status": word], status: status)
            }
        }
        router.get("/metrics") { _, _ in
            await self.answer("/metrics") {
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                         body: .init(byteBuffer: ByteBuffer(string: self.metrics.exposition())))
            }
        }
        router.get("/v1/models") { _, _ in
            await self.answer("/v1/models") { JSONBody.response(self.modelList(try self.state.ready())) }
        }
        router.get("/lora-adapters") { _, _ in
            await self.answer("/lora-adapters") {
                JSONBody.response(try self.state.ready().adapters.map { ["id": $0.id, "name": $0.name, "path": $0.path, "scale": 0.0] as [String: Any] })
            }
        }
        for (path, chat) in [("/v1/completions", false), ("/v1/chat/completions", true)] {
            router.post(RouterPath(path)) { request, context in
                await self.answer(path) {
                    let body = try await self.body(of: request)
                    let endpoint = CompletionEndpoint(served: try self.state.ready(), chat: chat)
                    return try await endpoint.respond(body: body, watcher: try await DisconnectWatcher.of(context.channel))
                }
            }
        }
        router.post("/v1/load_lora_adapter") { request, _ in
            await self.answer("/v1/load_lora_adapter") { try await self.loadAdapter(try await self.body(of: request)) }
        }
        router.post("/v1/unload_lora_adapter") { request, _ in
            await self.answer("/v1/unload_lora_adapter") { try await self.unloadAdapter(try await self.body(of: request)) }
        }
        return router
    }

    /// Runs a handler; a thrown error becomes its OpenAI-shaped response.
    func answer(_ route: String, _ handler: () async throws -> Response) async -> Response {
        let response: Response
        do {
            response = try await handler()
        } catch {
            response = APIError.from(error).response
        }
        metrics.response(route: route, status: Int(response.status.code))
        return response
    }

    /// The request's JSON body: 415 if it says it is something else, 413 beyond the limit.
    func body(of request: Request) async throws -> [UInt8] {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw APIError(status: .unsupportedMediaType, type: "invalid_request_error",
                           message: "the body must be JSON (Content-Type: application/json), not \(type)", code: "unsupported_media_type")
        }
        let limit = configuration.maxBodyBytes
        let tooLarge = APIError(status: .contentTooLarge, type: "invalid_request_error",
                                message: "the body is larger than the server's limit of \(limit) bytes", code: "body_too_large")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
    }

    /// GET /v1/models: the base model, each adapter (parent: the base), and `dlp` when there is a router.
    func modelList(_ served: ServedModel) -> [String: Any] {
        let created = Int(Date().timeIntervalSince1970)
        var data: [[String: Any]] = [["id": served.name, "object": "model", "created": created, "owned_by": "dlp-gpu",
                                      "root": served.name, "parent": NSNull(), "max_model_len": served.contextLength]]
        for adapter in served.adapters {
            data.append(["id": adapter.name, "object": "model", "created": created, "owned_by": "dlp-gpu", "root": adapter.path,
                         "parent": served.name, "max_model_len": served.contextLength, "lora_id": adapter.id])
        }
        if let router = served.router {
            data.append(["id": ServedModel.routedModel, "object": "model", "created": created, "owned_by": "dlp-gpu",
                         "root": served.name, "parent": served.name, "max_model_len": served.contextLength,
                         "adapters": router.router.adapterNames, "routing": router.granularity.rawValue])
        }
        return ["object": "list", "data": data]
    }
}
