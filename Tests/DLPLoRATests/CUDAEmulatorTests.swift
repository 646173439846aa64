// CUDAEmulatorTests.swift: the CUDA plugin's own sources, built for the CPU emulator (`make cuda-emu`,
// which `make test` runs), pass `selftest --device cuda` with every op, fixture model, fused LoRA and
// graph-replayed decode check; and the emulator's self-check shows it computes what a GPU computes and
// stops on what a GPU would fault on.
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
                      "a missing barrier shows as stale reads", "a write past the end stops the process",
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
        for line in ["decode graphs", "model tiny-qwen2", "model gguf/tiny-llama-q8_0.gguf", "lora fused vs ref"] {
            #expect(result.stdout.contains(line), "no \(line) check ran on the emulator")
        }
        for dtype in ["q4_0", "q4_1", "q5_0", "q8_0", "q3_k", "q4_k", "q6_k"] {
            #expect(result.stdout.contains("\(dtype) "), "no \(dtype) gemm ran on the emulator")
        }
    }
}
