// ServeCommand.swift: `dlp-gpu serve`: the OpenAI-compatible server (DLPServe) on the model, adapters and
// router given as for `generate` (default: the demo pack: SmolLM2, its four task adapters and router).
import ArgumentParser
import DLPLoRA
import DLPServe
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over HTTP with OpenAI's API (completions, chat, models), continuous batching and per-request adapters.",
        discussion: """
        model = the base model's id (or "base"), an adapter's name, or "dlp" (the router picks a plan per sentence; \
        the response's dlp_routing lists them). A fixed mix: "lora": [{"id": 0, "scale": 0.5}] (ids from GET /lora-adapters) \
        or [{"name": "math", "scale": 0.7}]. Also: GET /health, GET /metrics (Prometheus), POST /v1/load_lora_adapter \
        {"lora_name", "lora_path"}, POST /v1/unload_lora_adapter {"lora_name"}. SIGTERM or SIGINT drains and exits 0.
        """)

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0: any free port; the chosen one is printed).")
    var port = 8080

    @Option(name: .long, help: "Sequences decoded together (KV cache slots; each holds --context positions).")
    var maxBatch = 16

    @Option(name: .long, help: "Requests that may wait for a slot; beyond that, 429 with Retry-After.")
    var maxQueue = 64

    @Option(name: .long, help: "Prompt tokens prefilled per step, so a long prompt does not stall the others' decoding.")
    var prefillChunk = 64

    @Option(name: .long, help: "Seconds a request may take in all (0: no limit).")
    var requestTimeout: Double = 600

    @Option(name: .long, help: "Largest request body in bytes.")
    var maxBody = 4 << 20

    @Option(name: .long, help: "Seconds requests in flight get to finish at shutdown before they are cancelled.")
    var drainSeconds: Double = 30

    @Option(name: .long, help: "The base model's id in /v1/models (default: the model file or folder name).")
    var servedModelName: String?

    @Flag(name: .long, help: "Refuse POST /v1/load_lora_adapter and /v1/unload_lora_adapter.")
    var noRuntimeAdapters = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): give 0 to 65535") }
        guard (1...KVCache.maximumSlots).contains(maxBatch) else { throw ValidationError("--max-batch \(maxBatch): give 1 to \(KVCache.maximumSlots)") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be >= 0") }
        guard prefillChunk >= 1 else { throw ValidationError("--prefill-chunk must be >= 1") }
        guard requestTimeout >= 0, drainSeconds >= 0 else { throw ValidationError("--request-timeout and --drain-seconds must be >= 0") }
        guard maxBody >= 1024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        guard options.mix == nil, !options.merge else { throw ValidationError("serve takes the mix per request (model or lora); leave out --mix and --merge") }
    }

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxBatch = maxBatch
        configuration.maxQueue = maxQueue
        configuration.contextLength = options.context
        configuration.prefillChunk = prefillChunk
        configuration.requestTimeout = requestTimeout > 0 ? requestTimeout : nil
        configuration.maxBodyBytes = maxBody
        configuration.drainSeconds = drainSeconds
        configuration.runtimeAdapters = !noRuntimeAdapters
        let options = self.options
        let name = servedModelName
        let settings = configuration
        let server = OpenAIServer(configuration: settings) {
            let (loaded, _, router) = try options.load(needsPlan: false)
            let paths = Dictionary(loaded.adapters.names.compactMap { n in loaded.adapters.adapter(named: n).map { (n, $0.path) } },
                                   uniquingKeysWith: { a, _ in a })
            let modelName = name ?? ((loaded.source.path as NSString).lastPathComponent as NSString).deletingPathExtension
            let kv = Double(loaded.model.config.numHiddenLayers * loaded.model.config.kvHeads * loaded.model.config.headDimension * 8
                            * settings.contextLength * settings.maxBatch) / 1048576
            printError(String(format: "[serve] %@ on %@: %d adapters%@, KV cache %.0f MiB (%d slots x %d positions)", modelName,
                              loaded.model.backend.deviceDescription, loaded.adapters.names.count, router == nil ? "" : " and a router (model 'dlp')",
                              kv, settings.maxBatch, settings.contextLength))
            return ServingSetup(loaded: loaded, name: modelName, router: router, adapterPaths: paths)
        }
        try await server.run { port in
            printError("[serve] listening on http://\(settings.host):\(port)")
        }
        printError("[serve] stopped")
    }
}
