// ModelOptions.swift: the options every model-running subcommand shares (model path, device, threads,
// context length) and the code that turns them into a loaded model.
import ArgumentParser
import DLPLoRA
import Foundation

extension Device: ExpressibleByArgument {}

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A Hugging Face model folder (config.json + safetensors) or a .gguf file.")
    var model: String

    @Option(name: .long, help: "auto (CUDA if the plugin loads, else CPU), cpu or cuda.")
    var device: Device = .auto

    @Option(name: .long, help: "CPU threads (0: one per core).")
    var threads: Int = 0

    @Option(name: .long, help: "Context length: positions per sequence in the KV cache.")
    var context: Int = 2048

    func load() throws -> LoadedModel {
        let backend = try KernelBackend.make(device: device, threads: threads) { note in
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }
        return try LoadedModel(path: model, backend: backend)
    }
}

/// Parses "1,2,3" into token ids.
func parseIDs(_ text: String) throws -> [Int32] {
    try text.split(separator: ",").map { part in
        guard let id = Int32(part.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw ValidationError("'\(part)' is not a token id (expected non-negative integers separated by commas)")
        }
        return id
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints a JSON object with sorted keys.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
