// CUDAEmulatorTests.swift: the CUDA plugin's own sources, built for the CPU emulator (`make cuda-emu`,
// which `make test` runs), pass `selftest --device cuda` with every op, fixture model, fused LoRA and
// graph-replayed decode check; `generate` on the emulated GPU gives the CPU's tokens (a sampled mix of
// two adapters on a tiny model; the demo pack's routed SmolLM2 Q4_1); and the emulator's self-check
// shows it computes what a GPU computes and stops on what a GPU would fault on.
import Foundation
import Testing
@testable import DLPLoRA

let emulatedCUDAPlugin = (Fixtures.repository as NSString).appendingPathComponent("CKernels/cuda/build/libdlp_cuda_emu.so")
let emulatorSelfCheck = (Fixtures.repository as NSString).appendingPathComponent("CKernels/cuda/build/emu-selfcheck")

@Suite struct CUDAEmulatorTests {
    @Test func emulatorChecksItself() throws {
        try #require(FileManager.default.isExecutableFile(atPath: emulatorSelfCheck),
                     "\(emulatorSelfCheck) is missing: run `make cuda-emu` (make test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: emulatorSelfCheck)
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        for check in ["block sum, 1024 threads", "a replay reads today's data", "a synchronize while capturing fails",
                      "a missing barrier shows as stale reads", "block order alternates between launches", "a write past the end stops the process",
                      "a shuffle after a lane exited stops it", "a barrier in divergent code stops it",
                      "a misaligned 16-byte load stops it", "a use after free stops it"] {
            let line = text.split(separator: "\n").first { $0.hasPrefix(check) }
            #expect(line?.contains(" ok") == true, "\(check): \(line.map(String.init) ?? "no line")")
        }
    }

    @Test func pluginPassesTheSelfTestOnTheEmulator() throws {
        try #require(FileManager.default.fileExists(atPath: emulatedCUDAPlugin),
                     "\(emulatedCUDAPlugin) is missing: run `make cuda-emu` (make test does)")
        let result = try runCommand(["selftest", "--device", "cuda", "--fixtures", Fixtures.root],
                                    environment: ["DLP_CUDA_LIBRARY": emulatedCUDAPlugin])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("cuda: dlp-emu"), "\(result.stdout)")
        #expect(result.stdout.contains("checks passed") && !result.stdout.contains("FAILED"), "\(result.stdout)")
        let names = Set(result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init)
        })
        for op in ["gemm", "embedding", "rmsnorm", "rope", "rope_kv_store", "kv_store+attention", "attention", "silu_mul", "add",
                   "argmax", "lora_shrink", "lora_expand", "gemm_lora", "sample", "route_top_p", "router", "model", "lora", "decode"] {
            #expect(names.contains(op), "no \(op) check ran on the emulator")
        }
        // the cases that take the GEMV's staged and multi-column paths and the LoRA prefill (tiled) forms
        for line in ["decode graphs", "model tiny-qwen2", "model gguf/tiny-llama-q8_0.gguf", "lora fused vs ref",
                     "m=6 n=4302 k=1040", "m=3 n=1100 k=2604", "segments [300, 200, 150, 150]", "segments [400, 400]"] {
            #expect(result.stdout.contains(line), "no \(line) check ran on the emulator")
        }
        for dtype in ["q4_0", "q4_1", "q5_0", "q8_0", "q3_k", "q4_k", "q6_k"] {
            #expect(result.stdout.contains("\(dtype) "), "no \(dtype) gemm ran on the emulator")
        }
    }

    /// The `ids` and each sentence's first adapter from `generate --json` on `device`.
    func generated(_ arguments: [String], device: String, environment: [String: String] = [:]) throws -> (ids: [Int], routes: [String]) {
        var environment = environment
        environment["DLP_CUDA_LIBRARY"] = emulatedCUDAPlugin
        let result = try runCommand(["generate", "--device", device, "--json"] + arguments, environment: environment)
        #expect(result.status == 0, "\(device): \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        if device == "cuda" { #expect((object["device"] as? String)?.hasPrefix("cuda: dlp-emu") == true) }
        let routes = (object["routing"] as? [[String: Any]] ?? []).map { (($0["plan"] as? [[String: Any]])?.first?["adapter"] as? String) ?? "" }
        return (try #require(object["ids"] as? [Int]), routes)
    }

    @Test func sampledMixGeneratesTheCPUTokensOnTheEmulator() throws {
        try #require(FileManager.default.fileExists(atPath: emulatedCUDAPlugin), "run `make cuda-emu`")
        let adapters = Fixtures.path("lora/tiny-llama")
        let arguments = ["--model", Fixtures.path("tiny-llama"), "--ids", "1,17,301,5,9", "--max-tokens", "16",
                         "--adapters", adapters + "/r8_all", adapters + "/r4_rslora", "--mix", "r8_all=0.6,r4_rslora=0.4",
                         "--temperature", "0.9", "--top-k", "40", "--top-p", "0.9", "--repetition-penalty", "1.1", "--seed", "11"]
        let cpu = try generated(arguments, device: "cpu"), cuda = try generated(arguments, device: "cuda")
        #expect(cpu.ids.count == 16)
        #expect(cuda.ids == cpu.ids)
    }

    @Test(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
    func demoPackRoutesAndGeneratesTheCPUTokensOnTheEmulator() throws {
        try #require(FileManager.default.fileExists(atPath: emulatedCUDAPlugin), "run `make cuda-emu`")
        struct Expected: Decodable { let prompt: String; let routes: [String] }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("demo/expected.json"))))
        let arguments = ["--max-tokens", "6", "--prompt", expected.prompt]
        let cpu = try generated(arguments, device: "cpu", environment: ["DLP_DEMO_ROOT": Fixtures.repository])
        let cuda = try generated(arguments, device: "cuda", environment: ["DLP_DEMO_ROOT": Fixtures.repository])
        #expect(cuda.routes == expected.routes)
        #expect(cuda.ids == cpu.ids)
    }
}
