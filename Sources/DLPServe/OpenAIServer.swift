// OpenAIServer.swift: `dlp-gpu serve`: an OpenAI-compatible HTTP server on Hummingbird 2. It listens at
// once and loads the model in the background (GET /health is 503 until the model is ready), serves the
// routes below, and shuts down gracefully on SIGTERM/SIGINT or `shutdown()`: new requests are refused
// (503), those in flight get `drainSeconds` to finish and are then cancelled, and `run` returns.
import DLPLoRA
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// How the server runs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Sequences decoded together (KV cache slots).
    public var maxBatch = 16
    /// Requests waiting for a slot before new ones get 429.
    public var maxQueue = 64
    /// Positions per sequence.
    public var contextLength = 2048
    /// Prompt rows prefilled per step (so a long prompt does not stall the others' decoding).
    public var prefillChunk = 64
    /// Seconds a request may take in all (nil: no limit).
    public var requestTimeout: Double? = 600
    /// Largest request body, in bytes.
    public var maxBodyBytes = 4 << 20
    /// Seconds in-flight requests get to finish at shutdown.
    public var drainSeconds = 30.0
    /// Load and unload adapters over HTTP (POST /v1/load_lora_adapter, /v1/unload_lora_adapter).
    public var runtimeAdapters = true
    public init() {}
}

/// What the server serves, made by the loader it is given.
public struct ServingSetup: @unchecked Sendable {
    public var loaded: LoadedModel
    /// The base model's id in /v1/models.
    public var name: String
    /// The router behind model `dlp` (nil: no `dlp` model).
    public var router: SentenceRouter?
    /// Folder of each loaded adapter, by name (shown by GET /lora-adapters).
    public var adapterPaths: [String: String]
    public init(loaded: LoadedModel, name: String, router: SentenceRouter?, adapterPaths: [String: String]) {
        self.loaded = loaded
        self.name = name
        self.router = router
        self.adapterPaths = adapterPaths
    }
}

public final class OpenAIServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let state = ServerState()
    let metrics = ServerMetrics()
    private let load: @Sendable () throws -> ServingSetup
    private let lock = NSLock()
    private var group: ServiceGroup?
    private var stopRequested = false

    /// A server that will serve what `load` returns (called once, on its own thread, when `run` starts).
    public init(configuration: ServerConfiguration, load: @escaping @Sendable () throws -> ServingSetup) {
        self.configuration = configuration
        self.load = load
    }

    /// Listens, loads, serves until SIGTERM/SIGINT or `shutdown()`, drains, returns. `onListening`
    /// hears the bound port (useful with port 0). Throws if the model cannot be loaded or the port bound.
    public func run(handlingSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dlp-gpu"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "dlp-gpu.serve", factory: { _ in SwiftLogNoOpLogHandler() }))
        let model = ModelService(server: self)
        // at shutdown the model service drains first (services stop in reverse order), then the HTTP server
        let group = ServiceGroup(configuration: .init(services: [app, model],
                                                       gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [],
                                                       logger: Logger(label: "dlp-gpu.serve", factory: { _ in SwiftLogNoOpLogHandler() })))
        let stopNow = lock.withLock { () -> Bool in
            self.group = group
            return stopRequested
        }
        if stopNow { await group.triggerGracefulShutdown() }
        try await group.run()
    }

    /// Starts a graceful shutdown (as SIGTERM does).
    public func shutdown() async {
        let group = lock.withLock { () -> ServiceGroup? in
            stopRequested = true
            return self.group
        }
        await group?.triggerGracefulShutdown()
    }

    /// What runs once the model is loaded (nil while loading); tests look at the scheduler through it.
    public var scheduler: Scheduler? { state.served?.scheduler }

    /// Loads the model, then waits for shutdown and drains the scheduler.
    private struct ModelService: Service {
        let server: OpenAIServer

        func run() async throws {
            let served = try await server.loadServed()
            server.state.setReady(served)
            try? await gracefulShutdown()
            server.state.setDraining()
            await served.scheduler.shutdown(drainingFor: Task.isCancelled ? 0 : server.configuration.drainSeconds)
        }
    }

    /// Runs the loader on a thread of its own (loading blocks for seconds) and builds the scheduler.
    private func loadServed() async throws -> ServedModel {
        let setup: ServingSetup = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { [load] in continuation.resume(with: Result { try load() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
        let c = configuration
        let engine = try BatchEngine(model: setup.loaded.model, tokenizer: setup.loaded.tokenizer, adapters: setup.loaded.adapters,
                                     options: .init(maxBatch: c.maxBatch, contextLength: c.contextLength, prefillChunk: c.prefillChunk))
        let scheduler = Scheduler(engine: engine, limits: .init(maxQueue: c.maxQueue, requestTimeout: c.requestTimeout), metrics: metrics)
        return ServedModel(loaded: setup.loaded, name: setup.name, router: setup.router, scheduler: scheduler, adapterPaths: setup.adapterPaths)
    }
}

/// Whether the model is loading, ready or shutting down.
final class ServerState: @unchecked Sendable {
    private let lock = NSLock()
    private var model: ServedModel?
    private var draining = false

    var served: ServedModel? { lock.withLock { model } }

    func setReady(_ served: ServedModel) { lock.withLock { model = served } }
    func setDraining() { lock.withLock { draining = true } }

    /// The served model, or a 503 saying why there is none.
    func ready() throws -> ServedModel {
        try lock.withLock {
            guard !draining else { throw APIError.unavailable("the server is shutting down") }
            guard let model else { throw APIError.unavailable("the model is loading") }
            return model
        }
    }

    /// /health's answer: (HTTP status, status word).
    var health: (HTTPResponse.Status, String) {
        lock.withLock {
            if draining { return (.serviceUnavailable, "shutting down") }
            return model == nil ? (.serviceUnavailable, "loading") : (.ok, "ok")
        }
    }
}
