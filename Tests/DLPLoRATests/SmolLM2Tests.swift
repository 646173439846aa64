// SmolLM2Tests.swift: the real model. SmolLM2-135M-Instruct's Q4_1 GGUF (fetched by
// scripts/fetch-smollm2.sh; `make test` fetches it) loads through our GGUF reader, and greedy decoding
// gives the tokens transformers gives on the same dequantized weights
// (Tests/Fixtures/smollm2/reference.json, from scripts/make_smollm2_reference.py).
import Foundation
import Testing
@testable import DLPLoRA

struct SmolLM2Reference: Decodable {
    struct Case: Decodable {
        let prompt: String
        let prompt_ids: [Int32]
        let greedy_ids: [Int32]
        let greedy_text: String
        let top2_margins: [Double]
    }
    let cases: [Case]

    static func load() throws -> SmolLM2Reference {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("smollm2/reference.json")))
        return try JSONDecoder().decode(SmolLM2Reference.self, from: data)
    }
}

@Suite(.enabled(if: Fixtures.smollm2 != nil, "SmolLM2 GGUF not in .cache (run scripts/fetch-smollm2.sh)"))
struct SmolLM2Tests {
    /// Steps whose top-2 logit margin in the reference is below this are near ties; comparison stops there.
    static let clearMargin = 0.05

    @Test func greedyTokensMatchTransformers() throws {
        let path = try #require(Fixtures.smollm2)
        let (model, source) = try ModelLoader.load(path: path, backend: Fixtures.cpu)
        #expect(source.format == "gguf")
        #expect(model.config.numHiddenLayers == 30 && model.config.hiddenSize == 576)
        let reference = try SmolLM2Reference.load()
        var compared = 0
        for item in reference.cases {
            let cache = try model.makeCache(slots: 1, capacity: 64)
            let n = item.prompt_ids.count
            var logits = try model.forward(tokens: item.prompt_ids, slots: Array(repeating: 0, count: n),
                                           positions: (0..<n).map(Int32.init), logitRows: [n - 1], cache: cache)
            var generated: [Int32] = []
            for step in 0..<item.greedy_ids.count {
                let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
                generated.append(next)
                if item.top2_margins[step] < Self.clearMargin { break }
                #expect(next == item.greedy_ids[step], "'\(item.prompt)' step \(step)")
                if next != item.greedy_ids[step] { break }
                logits = try model.forward(tokens: [next], slots: [0], positions: [Int32(n + step)], logitRows: [0], cache: cache)
            }
            if generated.count == item.greedy_ids.count { compared += 1 }
        }
        #expect(compared >= 3, "at least three prompts compared over all 16 tokens")
    }
}
