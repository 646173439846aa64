// SelfTestCommand.swift: `dlp-gpu selftest`: every kernel of the chosen backend against the CPU
// reference kernels, sampling and routing against their Swift rules, the tiny fixture models end to end
// and fused LoRA against unfused; prints the table and exits non-zero on any mismatch.
import ArgumentParser
import DLPLoRA
import Foundation

struct SelfTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check every kernel of a backend against the CPU reference kernels, then whole models.")

    @Option(name: .long, help: "auto (CUDA if the plugin loads, else CPU), cpu or cuda.")
    var device: Device = .auto

    @Option(name: .long, help: "CPU threads (0: one per core).")
    var threads: Int = 0

    @Option(name: .long, help: "Folder with the tiny fixture models (default: Tests/Fixtures of the checkout, when found).")
    var fixtures: String?

    @Option(name: .long, help: "Seed of the random inputs.")
    var seed: UInt64 = 7

    func run() throws {
        let folder = fixtures ?? defaultFixtures()
        if let fixtures, !FileManager.default.fileExists(atPath: fixtures + "/tiny-llama") {
            throw ValidationError("no tiny-llama fixture in \(fixtures)")
        }
        if folder == nil {
            FileHandle.standardError.write(Data("no Tests/Fixtures found (pass --fixtures): model checks not run\n".utf8))
        }
        let report = try SelfTest.run(device: device, threads: threads, fixtures: folder, seed: seed) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        print(report.table)
        if !report.passed { throw ExitCode(1) }
    }

    /// Tests/Fixtures under the current folder or the executable's checkout.
    private func defaultFixtures() -> String? {
        checkoutCandidates().map { $0 + "/Tests/Fixtures" }.first { FileManager.default.fileExists(atPath: $0 + "/tiny-llama") }
    }
}
