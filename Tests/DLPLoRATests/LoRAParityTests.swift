// LoRAParityTests.swift: PEFT adapters (scripts/make_lora_fixtures.py) against transformers+PEFT logits:
// each adapter alone (r=4 and r=8, all seven projections, rsLoRA, rank_pattern/alpha_pattern with a
// regex target, layers_to_transform, all-linear) and weighted mixes of adapters of different ranks
// against add_weighted_adapter(combination_type="cat"); max abs difference 1e-4, fused and unfused.
import Foundation
import Testing
@testable import DLPLoRA

struct LoRAFixture {
    let model: TransformerModel
    let bank: AdapterBank
    let reference: SafetensorsFile
    let mixes: [String: FusionPlan]

    init(_ name: String) throws {
        (model, _) = try ModelLoader.load(path: Fixtures.path(name), backend: Fixtures.cpu)
        let folder = Fixtures.path("lora/\(name)")
        bank = AdapterBank(config: model.config, backend: Fixtures.cpu)
        let adapters = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasSuffix(".safetensors") }.sorted()
        try bank.load(paths: adapters.map { folder + "/" + $0 })
        reference = try SafetensorsFile(path: folder + "/reference.safetensors")
        let meta = try JSONSerialization.jsonObject(with: Data((reference.metadata["mixes"] ?? "{}").utf8)) as? [String: [String: Any]] ?? [:]
        mixes = meta.mapValues { mix in
            let names = mix["adapters"] as? [String] ?? [], weights = (mix["weights"] as? [Double] ?? []).map(Float.init)
            return FusionPlan(zip(names, weights).map { FusionPlan.Slot(adapter: $0, weight: $1) })
        }
    }

    /// Prefill logits of parity prompt `c` with every row on `plan` (nil: base model).
    func logits(case c: Int, plan: FusionPlan?, fused: Bool = true) throws -> [Float] {
        let base = try SafetensorsFile(path: Fixtures.path(model.config.modelType == "llama" ? "tiny-llama" : "tiny-qwen2") + "/reference.safetensors")
        let ids = try #require(try base.tensor(named: "case\(c).prompt_ids")).int32Values()
        let cache = try model.makeCache(slots: 1, capacity: 16)
        let selection = plan.map { AdapterSelection(bank: bank, plans: [$0], planOfRow: Array(repeating: 0, count: ids.count), fused: fused) }
        return try model.forward(tokens: ids, slots: Array(repeating: 0, count: ids.count), positions: (0..<ids.count).map(Int32.init),
                                 logitRows: Array(ids.indices), cache: cache, adapters: selection)
    }

    func expected(_ key: String) throws -> [Float] { try #require(try reference.tensor(named: key)).floatValues() }
}

@Suite struct LoRAParityTests {
    @Test(arguments: ["tiny-llama", "tiny-qwen2"])
    func eachAdapterAloneMatchesPEFT(model: String) throws {
        let fixture = try LoRAFixture(model)
        #expect(fixture.bank.names.count == (model == "tiny-llama" ? 5 : 2))
        for name in fixture.bank.names {
            for c in 0..<2 {
                let plan = FusionPlan([FusionPlan.Slot(adapter: name, weight: 1)])
                #expect(maxAbsDifference(try fixture.logits(case: c, plan: plan), try fixture.expected("\(name).case\(c)")) < 1e-4, "\(model) \(name) case \(c)")
            }
        }
        #expect(maxAbsDifference(try fixture.logits(case: 0, plan: nil), try fixture.expected("base.case0")) < 1e-4)
    }

    @Test(arguments: ["tiny-llama", "tiny-qwen2"], [true, false])
    func weightedMixMatchesPEFTCat(model: String, fused: Bool) throws {
        let fixture = try LoRAFixture(model)
        #expect(!fixture.mixes.isEmpty)
        for (name, plan) in fixture.mixes {
            for c in 0..<2 {
                #expect(maxAbsDifference(try fixture.logits(case: c, plan: plan, fused: fused), try fixture.expected("\(name).case\(c)")) < 1e-4,
                        "\(model) \(name) \(plan) case \(c) fused=\(fused)")
            }
        }
    }
}
