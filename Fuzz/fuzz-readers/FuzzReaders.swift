// FuzzReaders.swift: libFuzzer targets for every reader of files and text a user hands us, chosen by the
// FUZZ_TARGET environment variable (one binary, one target per process):
//   safetensors     the bytes as model.safetensors of a model folder (tiny-llama's config.json), loaded
//   gguf            the bytes as a .gguf file: model, config and tokenizer loaded, a text encoded and decoded
//   tokenizer-json  the bytes as tokenizer.json: loaded, a multilingual text encoded and decoded
//   tokenize        the bytes as text through the committed tokenizer.json fixtures; a byte-level one
//                   without a normalizer must give back exactly the text (else abort: a finding)
//   adapter         the bytes as adapter_config.json beside a real adapter's tensors, loaded for tiny-llama
//   router          the bytes as a router file: loaded, then a text routed
//   segment         the bytes as text: sentence segmentation (ranges in order, inside the text) and routing
//                   through the demo router (probabilities finite, summing to 1), else abort
// Anything but a clean return or a thrown error is a finding. Run from the repository root (fixtures are
// read from Tests/Fixtures and demo/). `make fuzz` runs them all.
import DLPLoRA
import FuzzDriver
import Foundation

private let target = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
private let work: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = "\(base)/dlp-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}()
private let backend = try? KernelBackend.cpu(threads: 1)
private let tinyConfig = try? ModelConfig.load(path: "Tests/Fixtures/tiny-llama/config.json")
private let tokenizers: [(name: String, tokenizer: Tokenizer)] = ["llama3", "bytelevel", "metaspace", "spm", "canonical-spm"].compactMap { name in
    (try? TokenizerLoader.load(path: "Tests/Fixtures/tokenizers/\(name).json")).map { (name, $0) }
}
private let demoRouter = try? Router.load(path: "demo/router.safetensors")
private let sample = "Hello world! Café, naïve, e\u{301}, 東京, 🦙 <|im_start|> 12345\n\tend."

private func write(_ data: UnsafePointer<UInt8>, _ size: Int, to name: String) -> String {
    let path = work + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    return path
}

private func exercise(_ tokenizer: Tokenizer) {
    if let ids = try? tokenizer.encode(sample) { _ = tokenizer.decode(ids) }
}

func fuzzReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    switch target {
    case "safetensors":
        let folder = work + "/model"
        if !FileManager.default.fileExists(atPath: folder + "/config.json") {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: "Tests/Fixtures/tiny-llama/config.json", toPath: folder + "/config.json")
        }
        _ = write(data, size, to: "model/model.safetensors")
        if let backend { _ = try? LoadedModel(path: folder, backend: backend) }
    case "gguf":
        let path = write(data, size, to: "model.gguf")
        if let backend { _ = try? ModelLoader.load(path: path, backend: backend) }
        if let tokenizer = try? TokenizerLoader.load(path: path) { exercise(tokenizer) }
    case "tokenizer-json":
        if let tokenizer = try? TokenizerLoader.load(path: write(data, size, to: "tokenizer.json")) { exercise(tokenizer) }
    case "tokenize":
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        for (name, tokenizer) in tokenizers {
            guard let ids = try? tokenizer.encode(utf8: bytes, addSpecialTokens: false, parseSpecial: false) else { continue }
            let text = tokenizer.decode(ids)
            if name == "llama3", !text.utf8.elementsEqual(bytes) {
                print("llama3: decode(encode(text)) differs from the text: \(bytes) -> \(ids) -> \(Array(text.utf8))")
                abort()
            }
        }
    case "adapter":
        let folder = work + "/adapter"
        if !FileManager.default.fileExists(atPath: folder + "/adapter_model.safetensors") {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: "Tests/Fixtures/lora/tiny-llama/r8_all/adapter_model.safetensors",
                                              toPath: folder + "/adapter_model.safetensors")
        }
        _ = write(data, size, to: "adapter/adapter_config.json")
        if let tinyConfig { _ = try? LoRAAdapter(path: folder, baseConfig: tinyConfig) }
    case "router":
        if let router = try? Router.load(path: write(data, size, to: "router.safetensors")) { _ = SentenceRouter(router: router).route(sample) }
    case "segment":
        let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
        var end = 0
        for sentence in SentenceSegmenter.split(text) {
            guard sentence.utf8Range.lowerBound >= end, sentence.utf8Range.upperBound <= text.utf8.count else {
                print("segment: sentence \(sentence.utf8Range) after \(end) in \(text.utf8.count) bytes")
                abort()
            }
            end = sentence.utf8Range.upperBound
        }
        if let demoRouter {
            let p = demoRouter.probabilities(for: text)
            guard p.allSatisfy({ $0.isFinite && $0 >= 0 }), abs(p.reduce(0, +) - 1) < 1e-3 else {
                print("segment: router probabilities \(p)")
                abort()
            }
            _ = SentenceRouter(router: demoRouter).route(text)
        }
    default:
        print("FUZZ_TARGET must be one of safetensors, gguf, tokenizer-json, tokenize, adapter, router, segment (got '\(target)')")
        exit(2)
    }
    return 0
}

@main
enum FuzzReadersMain {
    static func main() { runLibFuzzer { data, size in fuzzReaders(data, size) } }
}
