// AdapterEndpoints.swift: POST /v1/load_lora_adapter {"lora_name", "lora_path"} and
// /v1/unload_lora_adapter {"lora_name"} (vLLM's shapes). The adapter is read and checked against the
// model off the scheduler's thread; the bank changes between two steps, so requests in flight never see
// a half-built bank. Unloading an adapter that a request in flight (or the router) uses is refused (409).
import DLPLoRA
import Foundation
import Hummingbird

extension OpenAIServer {
    func loadAdapter(_ body: [UInt8]) async throws -> Response {
        let served = try adapterChangesAllowed()
        let f = Fields(try Fields.object(body))
        guard let name = try f.string("lora_name"), !name.isEmpty else { throw APIError.invalid("'lora_name' is required", param: "lora_name") }
        guard let path = try f.string("lora_path"), !path.isEmpty else { throw APIError.invalid("'lora_path' is required", param: "lora_path") }
        guard name != served.name, name != "base", name != ServedModel.routedModel else {
            throw APIError.invalid("'\(name)' is the name of a model this server serves; choose another", param: "lora_name")
        }
        guard !served.adapters.contains(where: { $0.name == name }) else {
            throw APIError.invalid("an adapter named '\(name)' is already loaded", param: "lora_name", code: "adapter_exists")
        }
        let config = served.loaded.model.config
        let adapter: LoRAAdapter
        do {
            adapter = try LoRAAdapter(path: path, name: name, baseConfig: config)
        } catch {
            throw APIError.invalid("cannot load the adapter at '\(path)': \(error)", param: "lora_path")
        }
        try await served.scheduler.betweenSteps { engine, _ in
            guard let bank = engine.adapters else { throw AdapterError.invalidPlan("this server has no adapter bank") }
            try bank.add(adapter)
        }
        served.register(name: name, path: path)
        let id = served.adapters.first { $0.name == name }?.id ?? -1
        return JSONBody.response(["status": "ok", "lora_name": name, "id": id])
    }

    func unloadAdapter(_ body: [UInt8]) async throws -> Response {
        let served = try adapterChangesAllowed()
        guard let name = try Fields(try Fields.object(body)).string("lora_name"), !name.isEmpty else {
            throw APIError.invalid("'lora_name' is required", param: "lora_name")
        }
        guard served.adapters.contains(where: { $0.name == name }) else {
            throw APIError.notFound("no adapter named '\(name)' is loaded", param: "lora_name", code: "adapter_not_found")
        }
        try await served.scheduler.unloadAdapter(name, routerAdapters: served.router?.router.adapterNames ?? [])
        served.forget(name: name)
        return JSONBody.response(["status": "ok", "lora_name": name])
    }

    /// The served model, if adapters may change over HTTP (403 when the server was told not to).
    private func adapterChangesAllowed() throws -> ServedModel {
        let served = try state.ready()
        guard configuration.runtimeAdapters else {
            throw APIError(status: .forbidden, type: "invalid_request_error", message: "this server was started with --no-runtime-adapters",
                           code: "runtime_adapters_disabled")
        }
        return served
    }
}
