// TestServer.swift: a dlp-gpu server on a free loopback port for one test (the demo pack's SmolLM2 with
// its four adapters and router, or the weights dequantized to f32), in this process or (ChildServer) as
// the `dlp-gpu serve` process built beside the tests, and a small HTTP client for either.
import AsyncHTTPClient
import DLPLoRA
import DLPServe
import Foundation
import NIOCore
import NIOHTTP1

/// The checkout's files: the demo pack, the cached SmolLM2 (`make test` fetches it).
enum Checkout {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let smolLM2 = root + "/.cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    static var demoAdapters: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/demo/adapters")) ?? []).sorted().map { root + "/demo/adapters/" + $0 }
    }
    static let router = root + "/demo/router.safetensors"
    static let cpu: KernelBackend = { (try? KernelBackend.make(device: .cpu, threads: 0)) ?? { preconditionFailure("no CPU backend") }() }()
}

struct HTTPResult {
    let status: Int
    let headers: HTTPHeaders
    let body: String
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    /// The `data:` payloads of a server-sent event stream, in order.
    var events: [String] {
        body.components(separatedBy: "\n\n").compactMap { block in
            block.hasPrefix("data: ") ? String(block.dropFirst(6)) : nil
        }
    }
}

/// Requests to a server on a loopback port.
protocol LoopbackClient: Sendable {
    var port: Int { get }
}

let loopbackHTTPClient = HTTPClient(eventLoopGroupProvider: .singleton,
                                    configuration: .init(connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))

extension LoopbackClient {
    func get(_ path: String) async throws -> HTTPResult {
        try await send(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"))
    }

    /// POSTs `body` (a JSON object, or raw text) with a content type.
    func post(_ path: String, _ body: Any, contentType: String = "application/json") async throws -> HTTPResult {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        let bytes: Data
        if let text = body as? String {
            bytes = Data(text.utf8)
        } else {
            bytes = try JSONSerialization.data(withJSONObject: body)
        }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> HTTPResult {
        let response = try await loopbackHTTPClient.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 64 << 20)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// Starts a streamed request and returns once `events` SSE events have arrived; the request is then
    /// abandoned (its connection closed) when the returned task is cancelled.
    func startStream(_ body: [String: Any], path: String = "/v1/completions", until events: Int) async throws -> Task<Void, Error> {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        var streamed = body
        streamed["stream"] = true
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: streamed)))
        let arrived = AsyncStream<Void>.makeStream()
        let task = Task {
            let response = try await loopbackHTTPClient.execute(request, timeout: .seconds(120))
            var count = 0
            for try await chunk in response.body {
                count += String(buffer: chunk).components(separatedBy: "data: ").count - 1
                if count >= events { arrived.continuation.yield() }
            }
        }
        var iterator = arrived.stream.makeAsyncIterator()
        _ = await iterator.next()
        return task
    }

}

final class TestServer: LoopbackClient, @unchecked Sendable {
    let server: OpenAIServer
    let port: Int
    let task: Task<Void, Error>

    private init(server: OpenAIServer, port: Int, task: Task<Void, Error>) {
        self.server = server
        self.port = port
        self.task = task
    }

    /// The demo pack's model (f32 weights when `dequantize`), served with `configure`'s settings.
    static func start(dequantize: Bool = false, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.maxBatch = 8
        configuration.contextLength = 512
        configure(&configuration)
        let server = OpenAIServer(configuration: configuration) {
            let loaded = try LoadedModel(path: Checkout.smolLM2, backend: Checkout.cpu, dequantize: dequantize)
            try loaded.adapters.load(paths: Checkout.demoAdapters)
            let router = SentenceRouter(router: try Router.load(path: Checkout.router))
            let paths = Dictionary(uniqueKeysWithValues: Checkout.demoAdapters.map { (($0 as NSString).lastPathComponent, $0) })
            return ServingSetup(loaded: loaded, name: "smollm2", router: router, adapterPaths: paths)
        }
        let bound = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handlingSignals: false) { port in bound.continuation.yield(port) } }
        var iterator = bound.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let test = TestServer(server: server, port: port, task: task)
        // ready once the model is loaded
        for _ in 0..<600 {
            if try await test.get("/health").status == 200 { return test }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw CancellationError()
    }

    /// Waits until the scheduler has nothing running or waiting (at most `seconds`).
    func waitIdle(seconds: Double = 10) async throws -> (waiting: Int, running: Int, slotsInUse: Int) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let o = server.scheduler?.occupancy, o.waiting == 0, o.running == 0, o.slotsInUse == 0 { return o }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return server.scheduler?.occupancy ?? (-1, -1, -1)
    }

    func stop() async throws {
        await server.shutdown()
        try await task.value
    }
}
