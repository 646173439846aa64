// LoRAServingTests.swift: adapters in the serving paths: a merged mix equals the same mix unmerged, the
// generator applies each request's plan, unloading leaves the base weights untouched, and the CLI's
// --adapters/--mix/--merge give the library's numbers.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct LoRAServingTests {
    static let adapterDir = Fixtures.path("lora/tiny-llama")
    static let mix = "r8_all=0.7,rank_pattern=0.5,layer1_only=-0.4"

    @Test func mergedMixEqualsUnmergedAndPEFT() throws {
        let fused = try LoRAFixture("tiny-llama")
        let plan = try FusionPlan(parsing: "r8_all=0.7,r4_rslora=0.45,layer1_only=0.3")   // the fixture's cat mix
        let expected = try fused.logits(case: 0, plan: plan)
        let merged = try LoRAFixture("tiny-llama")
        try merged.model.merge(plan, from: merged.bank)
        let mergedLogits = try merged.logits(case: 0, plan: nil)
        #expect(maxAbsDifference(mergedLogits, expected) < 1e-4)
        #expect(maxAbsDifference(mergedLogits, try fused.expected("mix.case0")) < 1e-4)
    }

    @Test func generatorAppliesEachRequestsPlanAndUnloadingRestoresTheBase() throws {
        let fixture = try LoRAFixture("tiny-llama")
        let generator = Generator(model: fixture.model, tokenizer: nil, contextLength: 32, adapters: fixture.bank)
        let prompt: [Int32] = [1, 17, 301, 44, 260, 5, 399]
        let plan = try FusionPlan(parsing: Self.mix)
        let results = try generator.generate([GenerationRequest(promptIDs: prompt, maxTokens: 6, plan: plan),
                                              GenerationRequest(promptIDs: prompt, maxTokens: 6)])
        // the first token of each equals the argmax of the last prefill row under its plan / the base
        let adapted = try fixture.logits(case: 0, plan: plan), base = try fixture.logits(case: 0, plan: nil)
        let vocab = fixture.model.config.vocabSize
        func argmax(_ row: ArraySlice<Float>) -> Int32 { Int32(row.indices.max { row[$0] < row[$1] }! - row.startIndex) }
        #expect(results[0].tokenIDs[0] == argmax(adapted[(6 * vocab)..<(7 * vocab)]))
        #expect(results[1].tokenIDs[0] == argmax(base[(6 * vocab)..<(7 * vocab)]))
        #expect(results[0].tokenIDs != results[1].tokenIDs)
        let unfused = Generator(model: fixture.model, tokenizer: nil, contextLength: 32, adapters: fixture.bank, fusedAdapters: false)
        #expect(try unfused.generate([GenerationRequest(promptIDs: prompt, maxTokens: 6, plan: plan)])[0].tokenIDs == results[0].tokenIDs)
        for name in fixture.bank.names { try fixture.bank.unload(name: name) }
        #expect(fixture.bank.byteCount == 0)
        #expect(maxAbsDifference(try fixture.logits(case: 0, plan: nil), try fixture.expected("base.case0")) < 1e-4)
    }

    @Test func commandLineMixAndMergeMatchTheLibrary() throws {
        let names = ["r8_all", "rank_pattern", "layer1_only"]
        let common = ["score", "--model", Fixtures.path("tiny-llama"), "--device", "cpu", "--ids", "1,17,301,44,260", "--json",
                      "--adapters"] + names.map { Self.adapterDir + "/" + $0 } + ["--mix", Self.mix]
        let loaded = try LoadedModel(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu)
        try loaded.adapters.load(paths: names.map { Self.adapterDir + "/" + $0 })
        let expected = try loaded.logProbabilities(ids: [1, 17, 301, 44, 260], plan: try FusionPlan(parsing: Self.mix))
        for extra in [[], ["--merge"]] {
            let result = try runCommand(common + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let logprobs = try #require(object?["logprobs"] as? [Double])
            #expect(zip(logprobs, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(extra)")
        }
        let unknown = try runCommand(Array(common.dropLast(2)) + ["--mix", "nope=1"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no adapter named 'nope'"))
    }
}
