// CommandLineTests.swift: the dlp-gpu binary built beside the tests: score --json agrees with the library,
// generate --json and inspect print what they promise, and bad input exits non-zero with the file named.
import Foundation
import Testing
@testable import DLPLoRA

struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

func runCommand(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dlp-gpu").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

@Suite struct CommandLineTests {
    @Test func scoreJSONMatchesTheLibrary() throws {
        let model = Fixtures.path("tiny-mistral")
        let result = try runCommand(["score", "--model", model, "--device", "cpu", "--ids", "1,88,140,511,7", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["ids"] as? [Int] == [1, 88, 140, 511, 7])
        let logprobs = try #require(object["logprobs"] as? [Double])
        let loaded = try LoadedModel(path: model, backend: Fixtures.cpu)
        let expected = try loaded.logProbabilities(ids: [1, 88, 140, 511, 7])
        #expect(logprobs.count == 4)
        #expect(zip(logprobs, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func generateJSONIsRepeatableWithASeed() throws {
        let args = ["generate", "--model", Fixtures.path("tiny-qwen2"), "--device", "cpu", "--ids", "1,17,301",
                    "--max-tokens", "5", "--temperature", "0.9", "--top-k", "40", "--seed", "11", "--json"]
        let first = try runCommand(args), second = try runCommand(args)
        #expect(first.status == 0, "\(first.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect((object["ids"] as? [Int])?.count == 5)
        #expect(object["finish_reason"] as? String == "length")
        let a = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any]
        #expect(a?["ids"] as? [Int] == b?["ids"] as? [Int])
    }

    @Test func inspectDescribesTheModel() throws {
        let result = try runCommand(["inspect", Fixtures.path("tiny-qwen2")])
        #expect(result.status == 0, "\(result.stderr)")
        for fragment in ["architecture:   qwen2, q/k/v bias", "layers:         2", "4 query, 2 key/value, head_dim 16", "BF16", "tokenizer:      none"] {
            #expect(result.stdout.contains(fragment), "missing '\(fragment)' in:\n\(result.stdout)")
        }
    }

    @Test func badInputExitsNonZeroNamingTheFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir + "/broken.gguf"
        try Data("NOPE and more bytes".utf8).write(to: URL(fileURLWithPath: path))
        let result = try runCommand(["score", "--model", path, "--device", "cpu", "--ids", "1,2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(path) && result.stderr.contains("magic"), "\(result.stderr)")
        let missing = try runCommand(["generate", "--model", Fixtures.path("tiny-llama"), "--device", "cpu"])
        #expect(missing.status != 0 && missing.stderr.contains("--prompt"))
    }
}
