// SelfTestTests.swift: `selftest` on the CPU backend passes and covers every op of the table and the
// fixture models; its report fails on a mismatch; the CLI exits 0 and prints the table. When the CUDA
// plugin has been built (CI runs `make cuda` first), its table is complete and of this API version, and
// on a machine without a GPU `--device cuda` fails with the driver's reason while `auto` falls back.
import CKernels
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct SelfTestTests {
    @Test func cpuSelfTestPassesAndCoversEveryOp() throws {
        let report = try SelfTest.run(device: .cpu, threads: 2, fixtures: Fixtures.root)
        for check in report.checks where !check.passed { Issue.record("\(check.name) \(check.shape) \(check.dtype): \(check.maxError)") }
        #expect(report.passed)
        let names = Set(report.checks.map(\.name))
        for op in ["gemm", "embedding", "rmsnorm", "rope", "rope_kv_store", "kv_store+attention", "attention decode", "silu_mul", "add", "argmax",
                   "lora_shrink", "lora_expand", "gemm_lora", "sample", "route_top_p", "model tiny-llama", "model tiny-qwen2", "model tiny-mistral",
                   "model gguf/tiny-llama-q8_0.gguf", "lora fused=unfused", "lora fused vs ref", "router forward"] {
            #expect(names.contains(op), "no check of \(op)")
        }
        let rowInterleaved = Set([DType.q4_0x8, .q4_1x8, .q8_0x8].filter { Fixtures.cpu.weightDTypes.contains($0) }.map(\.rawValue))
        #expect(Set(report.checks.filter { $0.name == "gemm" }.map(\.dtype)) ==
                Set(["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q8_0", "q3_k", "q4_k", "q6_k"]).union(rowInterleaved))
    }

    @Test func aMismatchFailsTheReport() {
        let good = SelfTestCheck(name: "gemm", shape: "m=1", dtype: "f32", maxError: 1e-6, tolerance: 1e-4)
        let bad = SelfTestCheck(name: "gemm", shape: "m=2", dtype: "f32", maxError: 3e-4, tolerance: 1e-4)
        let report = SelfTestReport(comparison: "test", checks: [good, bad])
        #expect(!report.passed)
        #expect(report.table.contains("MISMATCH"))
        #expect(report.table.contains("1 of 2 checks FAILED"))
        #expect(BackendPair.relativeError([1, 2, .nan], [1, 2, 3]) == .infinity)
    }

    /// A check that throws (a failed launch, a device fault) is one failed line naming the error; the
    /// checks after it still run and the table is printed.
    @Test func aThrowingCheckIsOneFailedLineAndTheRestRun() throws {
        struct LaunchFailed: Error, CustomStringConvertible { var description: String { "gemm: launch failed (illegal address)" } }
        var checks = SelfTestCheck.guarded("gemm", "m=3 n=50 k=77", "bf16", on: Fixtures.cpu) { throw LaunchFailed() }
        checks += SelfTestCheck.guarded("add", "n=4", "-", on: Fixtures.cpu) {
            [SelfTestCheck(name: "add", shape: "n=4", dtype: "-", maxError: 0, tolerance: 1e-4)]
        }
        #expect(checks.count == 2 && !checks[0].passed && checks[1].passed)
        let report = SelfTestReport(comparison: "test", checks: checks)
        #expect(report.table.contains("ERROR: gemm: launch failed (illegal address)"))
        #expect(report.table.contains("1 of 2 checks FAILED"))
    }

    @Test func commandPrintsTheTableAndExitsZero() throws {
        let result = try runCommand(["selftest", "--device", "cpu", "--fixtures", Fixtures.root])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("all ") && result.stdout.contains("checks passed"))
        #expect(result.stdout.contains("model tiny-qwen2"))
        let missing = try runCommand(["selftest", "--device", "cpu", "--fixtures", "/nonexistent"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent"))
    }
}

/// The plugin `make cuda` builds, when present.
let builtCUDAPlugin = (Fixtures.repository as NSString).appendingPathComponent("CKernels/cuda/build/libdlp_cuda.so")

@Suite(.enabled(if: FileManager.default.fileExists(atPath: builtCUDAPlugin), "the CUDA plugin is not built (make cuda)"))
struct CUDAPluginTests {
    @Test func tableIsCompleteAndOfThisVersion() throws {
        let handle = try #require(dlopen(builtCUDAPlugin, RTLD_NOW | RTLD_LOCAL), "dlopen: \(String(cString: dlerror()))")
        let symbol = try #require(dlsym(handle, DLP_PLUGIN_ENTRY_SYMBOL))
        let getTable = unsafeBitCast(symbol, to: dlp_get_kernel_table_fn.self)
        let table = try #require(getTable()).pointee
        #expect(table.api_version == UInt32(DLP_KERNELS_API_VERSION))
        #expect(String(cString: table.name) == "cuda")
        let entries: [(String, Bool)] = [
            ("context_create", table.context_create != nil), ("context_destroy", table.context_destroy != nil),
            ("last_error", table.last_error != nil), ("device_description", table.device_description != nil),
            ("buffer_alloc", table.buffer_alloc != nil), ("buffer_from_host", table.buffer_from_host != nil),
            ("buffer_free", table.buffer_free != nil), ("buffer_data", table.buffer_data != nil),
            ("buffer_size", table.buffer_size != nil), ("buffer_upload", table.buffer_upload != nil),
            ("buffer_download", table.buffer_download != nil), ("synchronize", table.synchronize != nil),
            ("gemm", table.gemm != nil), ("embedding", table.embedding != nil), ("rmsnorm", table.rmsnorm != nil),
            ("rope", table.rope != nil), ("kv_store", table.kv_store != nil), ("rope_kv_store", table.rope_kv_store != nil),
            ("attention", table.attention != nil),
            ("silu_mul", table.silu_mul != nil), ("add", table.add != nil), ("argmax", table.argmax != nil),
            ("lora_shrink", table.lora_shrink != nil), ("lora_expand", table.lora_expand != nil),
            ("gemm_lora", table.gemm_lora != nil),
            ("sample", table.sample != nil), ("route_top_p", table.route_top_p != nil),
            ("embedding_bag", table.embedding_bag != nil), ("relu", table.relu != nil),
            ("graph_begin", table.graph_begin != nil), ("graph_end", table.graph_end != nil),
            ("graph_launch", table.graph_launch != nil), ("graph_free", table.graph_free != nil)]
        for (name, present) in entries { #expect(present, "the plugin's table has no \(name)") }
    }

    /// Without a GPU the plugin's own reason comes back; with one, the plugin passes the self test.
    @Test func withoutAGPUTheReasonIsReported() throws {
        do {
            let backend = try KernelBackend.cudaPlugin(candidates: [builtCUDAPlugin])
            #expect(backend.name == "cuda")
            let report = try SelfTest.run(device: .cuda, fixtures: Fixtures.root)
            #expect(report.passed, "\(report.table)")
        } catch let BackendError.unavailable(device, reason) {
            #expect(device == "cuda")
            #expect(reason.contains("CUDA"), "\(reason)")
            let fallback = try runCommand(["generate", "--model", Fixtures.path("tiny-llama"), "--ids", "1,17", "--max-tokens", "1"],
                                          environment: ["DLP_CUDA_LIBRARY": builtCUDAPlugin])
            #expect(fallback.status == 0, "\(fallback.stderr)")
            #expect(fallback.stderr.contains("using CPU") && fallback.stderr.contains("CUDA"), "\(fallback.stderr)")
            let forced = try runCommand(["generate", "--model", Fixtures.path("tiny-llama"), "--ids", "1,17", "--device", "cuda"],
                                        environment: ["DLP_CUDA_LIBRARY": builtCUDAPlugin])
            #expect(forced.status != 0)
            #expect(forced.stderr.contains("device 'cuda' is not usable"), "\(forced.stderr)")
        }
    }
}
