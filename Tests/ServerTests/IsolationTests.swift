// IsolationTests.swift: requests served together, each with its own adapter, mix or router plan, get
// exactly the tokens each gets alone (greedy). The model's weights are f32 here: the f32 kernels compute
// a row the same way whatever rows share its batch (block-quantized weights switch kernels, and summation
// order, between one row and eight; see DESIGN.md).
import Foundation
import Testing

@Suite(.serialized) struct IsolationTests {
    static let prompts = [
        "Yesterday was April 30, 2021. What is the date tomorrow in MM/DD/YYYY?",
        "Utterance: Add this song to my road trip playlist.\nIntent:",
        "On the desk, you see a red pen and a green mug. What color is the pen?",
        "I lost my job today and I feel terrible.",
    ]
    static let models: [(model: String, lora: [[String: Any]]?)] = [
        ("smollm2", nil), ("date_understanding", nil), ("intent_recognition", nil), ("dlp", nil),
        ("smollm2", [["name": "reasoning_about_colored_objects", "scale": 0.6], ["id": 3, "scale": 0.4]]),
        ("social_support", [["name": "date_understanding", "scale": 0.5]]),
    ]

    static func body(_ i: Int) -> [String: Any] {
        let (model, lora) = models[i % models.count]
        var body: [String: Any] = ["model": model, "prompt": prompts[i % prompts.count], "max_tokens": 16 + i % 5, "temperature": 0]
        if let lora { body["lora"] = lora }
        return body
    }

    @Test func concurrentRequestsEqualTheirSoloRuns() async throws {
        let s = try await TestServer.start(dequantize: true) { $0.maxBatch = 6; $0.prefillChunk = 16 }
        let count = 18
        var alone: [String] = []
        for i in 0..<count {
            let r = try await s.post("/v1/completions", Self.body(i))
            #expect(r.status == 200)
            alone.append(((r.json["choices"] as? [[String: Any]])?.first?["text"] as? String) ?? "<none>")
        }
        #expect(Set(alone).count > 4, "the adapters and mixes change the outputs")
        // all at once (more than the batch holds: some wait, all share steps with others), half streamed
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<count {
                group.addTask {
                    var body = Self.body(i)
                    if i % 2 == 1 {
                        body["stream"] = true
                        let r = try await s.post("/v1/completions", body)
                        let text = r.events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                            .compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined()
                        return (i, text)
                    }
                    let r = try await s.post("/v1/completions", body)
                    return (i, ((r.json["choices"] as? [[String: Any]])?.first?["text"] as? String) ?? "<none>")
                }
            }
            var texts = [String](repeating: "", count: count)
            for try await (i, text) in group { texts[i] = text }
            return texts
        }
        for i in 0..<count { #expect(together[i] == alone[i], "request \(i): \(Self.body(i))") }
        let idle = try await s.waitIdle()
        #expect(idle.running == 0 && idle.slotsInUse == 0)
        try await s.stop()
    }
}
