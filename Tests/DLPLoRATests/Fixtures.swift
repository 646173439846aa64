// Fixtures.swift: paths of the committed fixtures and of the fetched-data cache, and small helpers the
// suites share (one CPU backend, reference tensors, max-abs differences).
import Foundation
@testable import DLPLoRA

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    /// The SmolLM2 GGUF in the git-ignored cache (scripts/fetch-smollm2.sh), or nil when absent.
    static var smollm2: String? {
        let path = ProcessInfo.processInfo.environment["DLP_SMOLLM2_GGUF"]
            ?? (repository as NSString).appendingPathComponent(".cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// One CPU backend for all tests (two threads, like the target machine).
    static let cpu: KernelBackend = {
        do { return try KernelBackend.cpu(threads: 2) } catch { preconditionFailure("CPU backend: \(error)") }
    }()

    /// A temporary folder for a test's files.
    static func temporaryDirectory() throws -> String {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("dlp-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
