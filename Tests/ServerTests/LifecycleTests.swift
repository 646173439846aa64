// LifecycleTests.swift: what happens around requests: a client that goes away frees its slot at once; a
// full queue answers 429 with Retry-After; a request past its deadline gets 504; adapters load and unload
// while requests run, and one in use cannot be unloaded; shutdown lets in-flight requests finish within
// its bound, refuses new ones, and returns.
import Foundation
import Testing

@Suite(.serialized) struct LifecycleTests {
    static let long: [String: Any] = ["model": "smollm2", "prompt": "Tell me a long story about a dragon.", "max_tokens": 400, "ignore_eos": true,
                                      "temperature": 0.8, "seed": 1]

    @Test func aClientThatLeavesFreesItsSlot() async throws {
        let s = try await TestServer.start()
        let stream = try await s.startStream(Self.long, until: 3)
        #expect(s.server.scheduler?.occupancy.running == 1)
        stream.cancel()
        let idle = try await s.waitIdle(seconds: 5)
        #expect(idle.running == 0 && idle.slotsInUse == 0)
        // a non-streamed request whose client gives up is cancelled too
        let waiting = Task { try await s.post("/v1/completions", Self.long) }
        try await Task.sleep(nanoseconds: 300_000_000)
        waiting.cancel()
        let idleAgain = try await s.waitIdle(seconds: 5)
        #expect(idleAgain.running == 0 && idleAgain.slotsInUse == 0)
        let metrics = try await s.get("/metrics").body
        #expect(metrics.contains("dlp_requests_total{model=\"smollm2\",outcome=\"cancelled\"} 2"))
        try await s.stop()
    }

    @Test func aFullQueueAnswers429AndALateRequest504() async throws {
        let s = try await TestServer.start { $0.maxBatch = 1; $0.maxQueue = 1; $0.requestTimeout = 3 }
        let first = try await s.startStream(Self.long, until: 2)     // running
        let second = Task { try await s.post("/v1/completions", Self.long) }   // waiting
        try await Task.sleep(nanoseconds: 200_000_000)
        let third = try await s.post("/v1/completions", Self.long)
        #expect(third.status == 429)
        #expect(third.headers.first(name: "retry-after") == "1")
        #expect((third.json["error"] as? [String: Any])?["code"] as? String == "queue_full")
        first.cancel()
        // the waiting one runs into the 3 s deadline: 504
        let late = try await second.value
        #expect(late.status == 504)
        let idle = try await s.waitIdle()
        #expect(idle.running == 0 && idle.waiting == 0 && idle.slotsInUse == 0)
        try await s.stop()
    }

    @Test func adaptersLoadAndUnloadWhileRequestsRun() async throws {
        let s = try await TestServer.start()
        let plain: [String: Any] = ["model": "smollm2", "prompt": "The capital of France is", "max_tokens": 12, "temperature": 0]
        let expected = try await s.post("/v1/completions", plain).body
        let expectedText = (try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [String: Any]).flatMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }
        // traffic while the bank changes
        let traffic = Task {
            var texts: [String?] = []
            for _ in 0..<6 { texts.append((try await s.post("/v1/completions", plain).json["choices"] as? [[String: Any]])?.first?["text"] as? String) }
            return texts
        }
        let dates = Checkout.root + "/demo/adapters/date_understanding"
        let loaded = try await s.post("/v1/load_lora_adapter", ["lora_name": "dates2", "lora_path": dates])
        #expect(loaded.status == 200 && loaded.json["id"] as? Int == 4)
        #expect(try await traffic.value.allSatisfy { $0 == expectedText })
        // the new adapter is a model, and computes what the adapter it copies computes
        let question: [String: Any] = ["prompt": "Yesterday was April 30, 2021. What is the date tomorrow?", "max_tokens": 10, "temperature": 0]
        let viaCopy = try await s.post("/v1/completions", question.merging(["model": "dates2"]) { $1 })
        let viaOriginal = try await s.post("/v1/completions", question.merging(["model": "date_understanding"]) { $1 })
        #expect(viaCopy.status == 200)
        #expect(viaCopy.json["choices"] as? [[String: Any]] != nil)
        #expect((viaCopy.json["choices"] as? [[String: Any]])?.first?["text"] as? String == (viaOriginal.json["choices"] as? [[String: Any]])?.first?["text"] as? String)
        #expect(try await s.post("/v1/load_lora_adapter", ["lora_name": "dates2", "lora_path": dates]).status == 400, "a name twice")
        #expect(try await s.post("/v1/completions", question.merging(["model": "dlp"]) { $1 }).status == 200, "the router with one more adapter loaded")
        #expect(try await s.post("/v1/load_lora_adapter", ["lora_name": "x", "lora_path": "/nonexistent"]).status == 400, "no such folder")
        // in use: refused; after: unloaded, and then unknown
        let running = try await s.startStream(Self.long.merging(["model": "dates2"]) { $1 }, until: 2)
        let refused = try await s.post("/v1/unload_lora_adapter", ["lora_name": "dates2"])
        #expect(refused.status == 409)
        running.cancel()
        _ = try await s.waitIdle()
        #expect(try await s.post("/v1/unload_lora_adapter", ["lora_name": "dates2"]).status == 200)
        #expect(try await s.post("/v1/completions", question.merging(["model": "dates2"]) { $1 }).status == 404)
        #expect(try await s.post("/v1/unload_lora_adapter", ["lora_name": "dates2"]).status == 404)
        #expect(try await s.post("/v1/unload_lora_adapter", ["lora_name": "intent_recognition"]).status == 409, "the router uses it")
        // ids are never reused
        let again = try await s.post("/v1/load_lora_adapter", ["lora_name": "dates3", "lora_path": dates])
        #expect(again.json["id"] as? Int == 5)
        try await s.stop()
    }

    @Test func shutdownDrainsWithinItsBound() async throws {
        // in-flight requests finish when the bound allows it
        let s = try await TestServer.start { $0.drainSeconds = 20 }
        let short = Task { try await s.post("/v1/completions", ["model": "smollm2", "prompt": "Hello", "max_tokens": 24, "temperature": 0]) }
        try await Task.sleep(nanoseconds: 100_000_000)
        try await s.stop()
        let finished = try await short.value
        #expect(finished.status == 200)
        #expect((finished.json["usage"] as? [String: Int])?["completion_tokens"] == 24)

        // a request longer than the bound is cancelled at the bound, and run returns
        let t = try await TestServer.start { $0.drainSeconds = 0.5 }
        let stream = try await t.startStream(Self.long, until: 2)
        let start = Date()
        try await t.stop()
        #expect(Date().timeIntervalSince(start) < 5)
        _ = try? await stream.value
        #expect(t.server.scheduler?.occupancy.running == 0)
    }
}
