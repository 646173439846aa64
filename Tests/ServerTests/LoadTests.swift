// LoadTests.swift: a bounded load on loopback: 1,000 requests from 32 concurrent clients over the four
// adapters, `dlp`, mixes and the base model, streamed and not; 10% are abandoned mid-stream and some are
// malformed. Afterwards nothing runs, no KV slot is held, the server still answers, and its resident
// memory is back near its level after a warm-up of the same mix. The server is `dlp-gpu serve` in a process
// of its own (ChildServer), so that memory is the server's alone, and SIGTERM then exits it with status 0.
import Foundation
import Testing

@Suite(.serialized) struct LoadTests {
    enum Outcome: Equatable { case completed, abandoned, refused }

    @Test func thousandRequestsFromThirtyTwoClients() async throws {
        // the demo pack: SmolLM2 with its four adapters and router
        let s = try await ChildServer.start(["--max-batch", "16", "--max-queue", "64", "--context", "256", "--served-model-name",
                                             "smollm2", "--drain-seconds", "10"])
        let models = ["smollm2", "date_understanding", "intent_recognition", "reasoning_about_colored_objects", "social_support", "dlp"]
        let prompts = ["What is the date tomorrow?", "Play my road trip playlist.", "The pen is red. What color is the pen?",
                       "I feel sad today.", "Count: one, two,"]
        func body(_ i: Int) -> [String: Any] {
            var b: [String: Any] = ["model": models[i % models.count], "prompt": prompts[i % prompts.count], "max_tokens": 4 + i % 5,
                                    "temperature": i % 3 == 0 ? 0 : 0.7, "seed": i]
            if i % 7 == 3 { b["model"] = "smollm2"; b["lora"] = [["id": i % 4, "scale": 0.5], ["id": (i + 1) % 4, "scale": 0.5]] }
            return b
        }
        // warm-up, 32 requests at once as in the load: the workspace, caches and allocator arenas reach their
        // working size
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<32 { group.addTask { _ = try await s.post("/v1/completions", body(i).merging(["stream": i % 2 == 0]) { $1 }) } }
            try await group.waitForAll()
        }
        _ = try await s.waitIdle(seconds: 10)
        let idleMiB = try s.residentMiB()

        let total = 1000, clients = 32
        let started = Date()
        let outcomes = try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var seen: [Outcome] = []
                    for i in stride(from: c, to: total, by: clients) {
                        if i % 10 == 5 {
                            // abandoned mid-stream
                            let stream = try await s.startStream(body(i).merging(["max_tokens": 64]) { $1 }, until: 2)
                            stream.cancel()
                            seen.append(.abandoned)
                        } else if i % 25 == 7 {
                            let bad = try await s.post("/v1/completions", i % 2 == 0 ? "{\"model\": \"smollm2\", \"prompt\": " : "{\"model\": 3}")
                            seen.append(bad.status == 400 ? .refused : .completed)
                            #expect(bad.status == 400)
                        } else {
                            var b = body(i)
                            if i % 2 == 0 { b["stream"] = true }
                            let r = try await s.post("/v1/completions", b)
                            #expect(r.status == 200, "request \(i): \(r.body.prefix(200))")
                            if i % 2 == 0 { #expect(r.events.last == "[DONE]") }
                            seen.append(.completed)
                        }
                    }
                    return seen
                }
            }
            var all: [Outcome] = []
            for try await part in group { all += part }
            return all
        }
        let seconds = Date().timeIntervalSince(started)
        #expect(outcomes.count == total)
        #expect(outcomes.filter { $0 == .abandoned }.count == 100)
        #expect(outcomes.filter { $0 == .refused }.count == 40)
        let idle = try await s.waitIdle(seconds: 10)
        #expect(idle.running == 0 && idle.waiting == 0 && idle.slotsInUse == 0)
        #expect(try await s.get("/health").status == 200)
        #expect(try await s.post("/v1/completions", body(0)).status == 200)
        let afterMiB = try s.residentMiB()
        print(String(format: "[load] %d requests from %d clients in %.1f s; resident %.0f MiB after warm-up, %.0f MiB after", total, clients,
                     seconds, idleMiB, afterMiB))
        #expect(afterMiB < idleMiB + 64, "resident memory \(afterMiB) MiB after the load, \(idleMiB) MiB before")
        #expect(try await s.stop() == 0, "\(s.printed.suffix(2000))")
    }
}
