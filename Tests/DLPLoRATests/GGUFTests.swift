// GGUFTests.swift: the GGUF reader against files written by gguf-py (scripts/make_gguf_fixtures.py): a
// tiny Llama in llama.cpp's layout (permuted q/k, f16 matrices, rope_freqs, tied head) gives
// transformers' logits, and every supported tensor type dequantizes like gguf-py does.
import Testing
@testable import DLPLoRA

@Suite struct GGUFTests {
    @Test func tinyLlamaInLlamaCppLayoutMatchesTransformers() throws {
        let (model, source) = try ModelLoader.load(path: Fixtures.path("gguf/tiny-llama.gguf"), backend: Fixtures.cpu)
        #expect(source.format == "gguf")
        #expect(model.tiedEmbeddings)
        #expect(source.tensorTypes["F16"] == 15 && source.tensorTypes["F32"] == 6)
        let reference = try SafetensorsFile(path: Fixtures.path("gguf/tiny-llama.reference.safetensors"))
        for c in 0..<2 {
            let ids = try #require(try reference.tensor(named: "case\(c).prompt_ids")).int32Values()
            let expected = try #require(try reference.tensor(named: "case\(c).prefill_logits")).floatValues()
            let cache = try model.makeCache(slots: 1, capacity: 16)
            let logits = try model.forward(tokens: ids, slots: Array(repeating: 0, count: ids.count),
                                           positions: (0..<ids.count).map(Int32.init), logitRows: Array(ids.indices), cache: cache)
            #expect(maxAbsDifference(logits, expected) < 1e-4, "case \(c)")
        }
    }

    @Test(arguments: ["t_f32", "t_f16", "t_bf16", "t_q8_0", "t_q4_0", "t_q4_1"])
    func dequantizesLikeGGUFPy(name: String) throws {
        let weights = try GGUFWeights(file: try GGUFFile(path: Fixtures.path("gguf/quant-types.gguf")), permuteHeads: nil)
        let expected = try SafetensorsFile(path: Fixtures.path("gguf/quant-types.safetensors"))
        let tensor = try #require(try weights.tensor(named: name))
        #expect(tensor.shape == [4, 64])
        let want = try #require(try expected.tensor(named: name)).floatValues()
        #expect(maxAbsDifference(tensor.floatValues(), want) <= 1e-6)
    }

    @Test(arguments: ["q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k"])
    func dequantizesKQuantsBitForBitLikeGGUFPy(name: String) throws {
        // scripts/make_kquant_fixtures.py: random blocks (every packed scale and bit), gguf-py's numpy dequantizer
        let weights = try GGUFWeights(file: try GGUFFile(path: Fixtures.path("gguf/kquant-types.gguf")), permuteHeads: nil)
        let expected = try SafetensorsFile(path: Fixtures.path("gguf/kquant-types.safetensors"))
        let tensor = try #require(try weights.tensor(named: name))
        #expect(tensor.shape == [4, 512])
        let got = tensor.floatValues(), want = try #require(try expected.tensor(named: name)).floatValues()
        #expect(got.count == want.count)
        let differing = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(name): \(differing) of \(want.count) values differ in some bit")
    }

    @Test func metadataValuesAreRead() throws {
        let file = try GGUFFile(path: Fixtures.path("gguf/tiny-llama.gguf"))
        #expect(file.version == 3)
        #expect(file.metadata["general.architecture"] == .string("llama"))
        #expect(file.metadata["llama.block_count"]?.intValue == 2)
        #expect(file.metadata["llama.rope.freq_base"]?.doubleValue == 500000)
    }
}
