// EndpointTests.swift: every endpoint over loopback: health, models, adapters, completions and chat
// (whole and streamed: SSE framing, finish reasons, usage, routing events), and errors in OpenAI's shape
// with the right status for what a client can get wrong.
import Foundation
import Testing

@Suite(.serialized) struct EndpointTests {
    @Test func modelsHealthAndAdapters() async throws {
        let s = try await TestServer.start()
        #expect(try await s.get("/health").json["status"] as? String == "ok")
        let models = try await s.get("/v1/models").json
        let ids = (models["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == ["smollm2", "date_understanding", "intent_recognition", "reasoning_about_colored_objects", "social_support", "dlp"])
        let parents = (models["data"] as? [[String: Any]] ?? []).compactMap { $0["parent"] as? String }
        #expect(parents == Array(repeating: "smollm2", count: 5))
        let adapters = try await s.get("/lora-adapters")
        let list = try JSONSerialization.jsonObject(with: Data(adapters.body.utf8)) as? [[String: Any]] ?? []
        #expect(list.compactMap { $0["id"] as? Int } == [0, 1, 2, 3])
        try await s.stop()
    }

    @Test func completionsAndChatWholeAndStreamed() async throws {
        let s = try await TestServer.start()
        let whole = try await s.post("/v1/completions", ["model": "smollm2", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0])
        #expect(whole.status == 200)
        let choice = (whole.json["choices"] as? [[String: Any]])?.first ?? [:]
        let text = choice["text"] as? String ?? ""
        #expect(text.contains("Paris"))
        #expect(choice["finish_reason"] as? String == "length")
        #expect((whole.json["usage"] as? [String: Int])?["completion_tokens"] == 8)
        #expect(whole.json["object"] as? String == "text_completion")

        // streamed: the same text, piece by piece, then the finish reason, then [DONE]
        let streamed = try await s.post("/v1/completions", ["model": "smollm2", "prompt": "The capital of France is", "max_tokens": 8,
                                                            "temperature": 0, "stream": true])
        #expect(streamed.status == 200 && streamed.headers.first(name: "content-type") == "text/event-stream")
        let events = streamed.events
        #expect(events.last == "[DONE]")
        let chunks = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(chunks.count == events.count - 1)
        let pieces = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }
        #expect(pieces.joined() == text)
        #expect((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
        #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)

        // prompt as token ids
        let ids = try await s.post("/v1/completions", ["model": "smollm2", "prompt": [504, 3575, 282, 4649, 314], "max_tokens": 3, "temperature": 0])
        #expect(ids.status == 200 && (ids.json["usage"] as? [String: Int])?["prompt_tokens"] == 5)

        // chat: the template, the end-of-turn token stops it, usage in the last streamed chunk
        let chat = try await s.post("/v1/chat/completions", ["model": "smollm2", "messages": [["role": "user", "content": "Say hello."]],
                                                             "max_tokens": 40, "temperature": 0, "stream": true,
                                                             "stream_options": ["include_usage": true]])
        let chatChunks = chat.events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect((chatChunks.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: String] == ["role": "assistant", "content": ""])
        #expect(chatChunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let usage = chatChunks.last?["usage"] as? [String: Int]
        #expect((chatChunks.last?["choices"] as? [Any])?.isEmpty == true && usage?["total_tokens"] == (usage?["prompt_tokens"] ?? 0) + (usage?["completion_tokens"] ?? 0))
        let finish = chatChunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
        #expect(finish == ["stop"], "the template's <|im_end|> ends the turn")
        let reply = chatChunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(!reply.isEmpty && !reply.contains("<|im_end|>"))

        // a stop string cuts the text and is reported as "stop"
        let stopped = try await s.post("/v1/completions", ["model": "smollm2", "prompt": "The capital of France is", "max_tokens": 8,
                                                           "temperature": 0, "stop": ["."]])
        let stoppedChoice = (stopped.json["choices"] as? [[String: Any]])?.first ?? [:]
        #expect(stoppedChoice["finish_reason"] as? String == "stop" && stoppedChoice["text"] as? String == " Paris")
        try await s.stop()
    }

    @Test func routedRequestsCarryTheirPlans() async throws {
        let s = try await TestServer.start()
        let prompt = "Yesterday was April 30, 2021. What is the date tomorrow in MM/DD/YYYY? Utterance: Add this song to my road trip playlist.\nIntent:"
        let whole = try await s.post("/v1/completions", ["model": "dlp", "prompt": prompt, "max_tokens": 12, "temperature": 0])
        let routes = whole.json["dlp_routing"] as? [[String: Any]] ?? []
        #expect(routes.count >= 3)
        let adapters = routes.compactMap { ($0["plan"] as? [[String: Any]])?.first?["adapter"] as? String }
        #expect(adapters.contains("date_understanding") && adapters.contains("intent_recognition"))
        // streamed: the same plans, riding on chunks
        let streamed = try await s.post("/v1/completions", ["model": "dlp", "prompt": prompt, "max_tokens": 12, "temperature": 0, "stream": true])
        let chunks = streamed.events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let streamedRoutes = chunks.flatMap { $0["dlp_routing"] as? [[String: Any]] ?? [] }
        #expect(streamedRoutes.count == routes.count)
        #expect(streamedRoutes.compactMap { $0["sentence"] as? String } == routes.compactMap { $0["sentence"] as? String })
        // chat: the messages are routed, not the template's role markers or the system prompt
        let chat = try await s.post("/v1/chat/completions", ["model": "dlp", "max_tokens": 8, "temperature": 0, "messages": [
            ["role": "system", "content": "You are a helpful assistant who answers briefly."],
            ["role": "user", "content": "Yesterday was April 30, 2021. What is the date tomorrow in MM/DD/YYYY?"]]])
        let chatSentences = (chat.json["dlp_routing"] as? [[String: Any]] ?? []).compactMap { $0["sentence"] as? String }
        #expect(Array(chatSentences.prefix(2)) == ["Yesterday was April 30, 2021.", "What is the date tomorrow in MM/DD/YYYY?"])
        #expect(!chatSentences.contains { $0.contains("helpful") || $0.contains("system") })
        try await s.stop()
    }

    @Test func errorsHaveOpenAIsShapeAndStatus() async throws {
        let s = try await TestServer.start { $0.maxBodyBytes = 4096 }
        func expectError(_ result: HTTPResult, _ status: Int, param: String? = nil, _ comment: Comment) {
            #expect(result.status == status, comment)
            let error = result.json["error"] as? [String: Any]
            #expect(error?["message"] as? String != nil && error?["type"] as? String != nil, comment)
            if let param { #expect(error?["param"] as? String == param, comment) }
        }
        let ok: [String: Any] = ["model": "smollm2", "prompt": "Hi", "max_tokens": 2]
        expectError(try await s.post("/v1/completions", "{\"model\": "), 400, "malformed JSON")
        expectError(try await s.post("/v1/completions", "[1, 2]"), 400, "not an object")
        expectError(try await s.post("/v1/completions", ok, contentType: "text/plain"), 415, "content type")
        expectError(try await s.post("/v1/completions", ok.merging(["model": "gpt-4"]) { $1 }), 404, param: "model", "unknown model")
        expectError(try await s.post("/v1/completions", ok.merging(["lora": [["id": 99, "scale": 1]]]) { $1 }), 404, param: "lora", "unknown adapter id")
        expectError(try await s.post("/v1/completions", ok.merging(["lora": [["name": "math"]]]) { $1 }), 404, param: "lora", "unknown adapter name")
        expectError(try await s.post("/v1/completions", ok.merging(["temperature": 7]) { $1 }), 400, param: "temperature", "temperature")
        expectError(try await s.post("/v1/completions", ok.merging(["temperature": "hot"]) { $1 }), 400, param: "temperature", "temperature type")
        expectError(try await s.post("/v1/completions", ok.merging(["top_p": 0]) { $1 }), 400, param: "top_p", "top_p")
        expectError(try await s.post("/v1/completions", ok.merging(["n": 2]) { $1 }), 400, param: "n", "n")
        expectError(try await s.post("/v1/completions", ok.merging(["max_tokens": -1]) { $1 }), 400, param: "max_tokens", "negative max_tokens")
        expectError(try await s.post("/v1/completions", ok.merging(["max_tokens": 600]) { $1 }), 400, param: "max_tokens", "beyond the context")
        expectError(try await s.post("/v1/completions", ok.merging(["prompt": [1, 999999]]) { $1 }), 400, param: "prompt", "token id")
        expectError(try await s.post("/v1/completions", #"{"model": "smollm2", "prompt": "Hi", "max_tokens": 9223372036854775807}"#), 400,
                    param: "max_tokens", "the largest JSON integer")
        expectError(try await s.post("/v1/completions", ok.merging(["lora": [["id": 0], ["name": "date_understanding"]]]) { $1 }), 400,
                    param: "lora", "an adapter twice")
        expectError(try await s.post("/v1/completions", ok.merging(["lora": Array(repeating: ["id": 0], count: 65)]) { $1 }), 400,
                    param: "lora", "a long lora list")
        expectError(try await s.post("/v1/completions", ["prompt": "Hi"]), 400, param: "model", "no model")
        expectError(try await s.post("/v1/completions", ok.merging(["stop": [1]]) { $1 }), 400, param: "stop", "stop type")
        expectError(try await s.post("/v1/completions", ok.merging(["stop": (0..<65).map { "s\($0)" }]) { $1 }), 400, "65 stop strings")
        expectError(try await s.post("/v1/completions", ok.merging(["prompt": ""]) { $1 }), 400, param: "prompt", "an empty prompt")
        expectError(try await s.post("/v1/chat/completions", ["model": "smollm2", "messages": []]), 400, param: "messages", "no messages")
        expectError(try await s.post("/v1/chat/completions", ["model": "smollm2", "messages": [["content": "x"]]]), 400, param: "messages", "no role")
        expectError(try await s.post("/v1/completions", ok.merging(["model": "dlp", "lora": [["id": 0]]]) { $1 }), 400, param: "lora", "dlp with lora")
        expectError(try await s.post("/v1/completions", ok.merging(["prompt": String(repeating: "x", count: 5000)]) { $1 }), 413, "oversize body")
        expectError(try await s.get("/v1/nothing"), 404, "no such route")
        // and the server still answers
        #expect(try await s.post("/v1/completions", ok).status == 200)
        let metrics = try await s.get("/metrics").body
        #expect(metrics.contains("dlp_http_responses_total{route=\"/v1/completions\",status=\"400\"}"))
        #expect(metrics.contains("dlp_requests_total{model=\"smollm2\",outcome=\"length\"} 1"))
        #expect(metrics.contains("dlp_time_to_first_token_seconds_count{model=\"smollm2\"} 1"))
        #expect(metrics.contains("dlp_kv_slots_in_use 0"))
        try await s.stop()
    }

    @Test func hostileBodiesGetAnswersNotCrashes() async throws {
        // valid bodies with bytes flipped, cut, duplicated or replaced by JSON tokens: every answer is a
        // response with a status below 500, and the server still serves a normal request afterwards
        let s = try await TestServer.start()
        let seeds: [String] = [
            #"{"model": "smollm2", "prompt": "Hi there", "max_tokens": 2, "temperature": 0.5, "stop": ["x"], "seed": 3}"#,
            #"{"model": "dlp", "prompt": [1, 2, 3], "max_tokens": 2, "stream": true, "stream_options": {"include_usage": true}}"#,
            #"{"model": "smollm2", "lora": [{"id": 1, "scale": 0.5}, {"name": "social_support", "scale": 2}], "prompt": "a", "max_tokens": 1}"#,
        ]
        let chatSeed = #"{"model": "date_understanding", "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}], "max_tokens": 2}"#
        let pieces = ["null", "true", "-1", "1e308", "\"", "{", "}", "[", "]", ",", ":", "\\u0000", "\u{FEFF}", "99999999999999999999", "\"\\ud800\""]
        var random = SystemRandomNumberGenerator()
        var statuses: [Int: Int] = [:]
        for i in 0..<300 {
            let chat = i % 4 == 3
            var bytes = Array((chat ? chatSeed : seeds[i % seeds.count]).utf8)
            for _ in 0..<(1 + i % 3) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &random)))
                case 2: bytes.insert(contentsOf: Array(pieces[Int.random(in: 0..<pieces.count, using: &random)].utf8), at: at)
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 12)], at: at)
                }
                if bytes.isEmpty { bytes = Array("{}".utf8) }
            }
            let result = try await s.post(chat ? "/v1/chat/completions" : "/v1/completions", String(decoding: bytes, as: UTF8.self))
            statuses[result.status, default: 0] += 1
            #expect(result.status < 500, "\(String(decoding: bytes, as: UTF8.self)) -> \(result.status) \(result.body.prefix(200))")
        }
        #expect((statuses[400] ?? 0) > 0 && (statuses[200] ?? 0) > 0, "\(statuses)")
        let idle = try await s.waitIdle()
        #expect(idle.running == 0 && idle.slotsInUse == 0)
        #expect(try await s.post("/v1/completions", ["model": "smollm2", "prompt": "Hi", "max_tokens": 2]).status == 200)
        try await s.stop()
    }
}
