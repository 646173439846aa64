// SelfTest.swift: `dlp-gpu selftest`: every kernel of the chosen backend against the CPU reference
// kernels (the plain scalar implementation of every op), the decision ops against their Swift rules,
// then the tiny fixture models end to end and fused multi-LoRA against unfused. On a CPU-only machine
// the backend under test is the optimized CPU table, so the command itself runs in CI.

/// Runs the self test.
public enum SelfTest {
    /// Compares `device` (auto: CUDA if its plugin works, else CPU) with the CPU reference kernels.
    /// `fixtures`: the folder holding tiny-llama, tiny-qwen2, tiny-mistral (Tests/Fixtures), or nil to
    /// skip the model checks. `progress` receives a line per group of checks.
    public static func run(device: Device, threads: Int = 0, fixtures: String?, seed: UInt64 = 7,
                           progress: (String) -> Void = { _ in }) throws -> SelfTestReport {
        let target = try KernelBackend.make(device: device, threads: threads, note: progress)
        let reference = try KernelBackend.cpu(threads: 1, referenceKernels: true)
        let pair = BackendPair(target: target, reference: reference, seed: seed)
        progress("kernels on \(target.deviceDescription)")
        var checks = KernelChecks.all(pair)
        progress("sampling and routing against their Swift rules")
        checks += DecisionChecks.all(pair)
        if let fixtures {
            progress("fixture models and fused LoRA from \(fixtures)")
            checks += ModelChecks.all(pair, fixtures: fixtures)
        }
        return SelfTestReport(comparison: "\(target.deviceDescription) vs the CPU reference kernels", checks: checks)
    }
}
