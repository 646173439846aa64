// ModelParityTests.swift: logits of the tiny random Llama (f32, llama3 rope, tied), Qwen2 (bf16, q/k/v
// bias) and Mistral (f16, sharded) models against transformers (scripts/make_tiny_fixtures.py): every
// prefill row and 8 decode steps through the KV cache, max abs difference 1e-4.
import Testing
@testable import DLPLoRA

@Suite struct ModelParityTests {
    static let models = ["tiny-llama", "tiny-qwen2", "tiny-mistral"]

    @Test(arguments: models)
    func prefillAndDecodeMatchTransformers(name: String) throws {
        let folder = Fixtures.path(name)
        let (model, _) = try ModelLoader.load(path: folder, backend: Fixtures.cpu)
        let reference = try SafetensorsFile(path: folder + "/reference.safetensors")
        let vocab = model.config.vocabSize
        for c in 0..<2 {
            let prompt = try #require(try reference.tensor(named: "case\(c).prompt_ids")).int32Values()
            let fed = try #require(try reference.tensor(named: "case\(c).decode_ids")).int32Values()
            let prefill = try #require(try reference.tensor(named: "case\(c).prefill_logits")).floatValues()
            let decode = try #require(try reference.tensor(named: "case\(c).decode_logits")).floatValues()
            let cache = try model.makeCache(slots: 1, capacity: 32)
            let n = prompt.count
            let logits = try model.forward(tokens: prompt, slots: Array(repeating: 0, count: n),
                                           positions: (0..<n).map(Int32.init), logitRows: Array(0..<n), cache: cache)
            #expect(maxAbsDifference(logits, prefill) < 1e-4, "\(name) case \(c) prefill")
            for (step, token) in fed.enumerated() {
                let out = try model.forward(tokens: [token], slots: [0], positions: [Int32(n + step)], logitRows: [0], cache: cache)
                let expected = Array(decode[(step * vocab)..<((step + 1) * vocab)])
                #expect(maxAbsDifference(out, expected) < 1e-4, "\(name) case \(c) decode step \(step)")
            }
        }
    }
}
