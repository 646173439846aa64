// AdapterBadInputTests.swift: adapters we cannot apply exactly are refused with a message that names the
// file and the field or tensor: DoRA, trained biases, modules_to_save, fan_in_fan_out, unknown config
// fields and tensor keys, embedding adapters, .bin files, ranks and shapes that do not fit the base model.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct AdapterBadInputTests {
    let config: ModelConfig
    init() throws { config = try ModelConfig.load(path: Fixtures.path("tiny-llama/config.json")) }

    /// A copy of the r8_all fixture adapter with its config edited.
    func editedAdapter(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = try Fixtures.temporaryDirectory() + "/edited"
        try FileManager.default.copyItem(atPath: Fixtures.path("lora/tiny-llama/r8_all"), toPath: dir)
        let path = dir + "/adapter_config.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return dir
    }

    /// An adapter folder whose safetensors holds layer 0 q_proj (r=2) plus `extra` tensor keys.
    func adapterWithKeys(_ extra: [String], adapterName: String? = nil) throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        let config: [String: Any] = ["peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "layers_to_transform": [0]]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/adapter_config.json"))
        var header: [String: Any] = [:]
        var offset = 0
        let infix = adapterName.map { ".\($0)" } ?? ""
        for (key, count) in [("base_model.model.model.layers.0.self_attn.q_proj.lora_A\(infix).weight", 128),
                             ("base_model.model.model.layers.0.self_attn.q_proj.lora_B\(infix).weight", 128)] + extra.map({ ($0, 4) }) {
            let shape = count == 128 ? (key.contains("lora_A") ? [2, 64] : [64, 2]) : [4]
            header[key] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + count * 4]]
            offset += count * 4
        }
        try writeSafetensors(dir + "/adapter_model.safetensors", header: header, data: [UInt8](repeating: 0, count: offset))
        return dir
    }

    func expectRefused(_ path: String, base: ModelConfig? = nil, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        expectLoadError({ _ = try LoRAAdapter(path: path, baseConfig: base ?? config) }, mentions: mentions, sourceLocation: sourceLocation)
    }

    @Test func refusedConfigurations() throws {
        expectRefused(try editedAdapter { $0["use_dora"] = true }, mentions: ["adapter_config.json", "use_dora", "DoRA"])
        expectRefused(try editedAdapter { $0["bias"] = "all" }, mentions: ["adapter_config.json", "bias", "'all'"])
        expectRefused(try editedAdapter { $0["modules_to_save"] = ["lm_head"] }, mentions: ["modules_to_save"])
        expectRefused(try editedAdapter { $0["fan_in_fan_out"] = true }, mentions: ["fan_in_fan_out"])
        expectRefused(try editedAdapter { $0["lora_frobnicate"] = 3 }, mentions: ["lora_frobnicate", "unknown"])
        expectRefused(try editedAdapter { $0["peft_type"] = "IA3" }, mentions: ["peft_type", "IA3"])
        expectRefused(try editedAdapter { $0["r"] = 4 }, mentions: ["adapter_model.safetensors", "q_proj layer 0", "[4, 64]", "[8, 64]"])
        expectRefused(try editedAdapter { $0["target_modules"] = ["q_proj", "v_proj"] }, mentions: ["target_modules", "do not select"])
        expectRefused(try editedAdapter { $0["rank_pattern"] = ["q_proj": 4, "self_attn.q_proj": 2] }, mentions: ["rank_pattern", "ambiguous"])
    }

    @Test func refusedTensorKeys() throws {
        expectRefused(try adapterWithKeys(["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"]),
                      mentions: ["adapter_model.safetensors", "lora_magnitude_vector", "DoRA"])
        expectRefused(try adapterWithKeys(["base_model.model.model.embed_tokens.lora_embedding_A"]), mentions: ["lora_embedding_A", "embedding"])
        expectRefused(try adapterWithKeys(["base_model.model.lm_head.weight"]), mentions: ["'base_model.model.lm_head.weight'", "unknown key"])
        expectRefused(try adapterWithKeys(["base_model.model.model.layers.0.self_attn.q_proj.lora_B.bias"]), mentions: ["lora_B.bias", "lora_bias"])
        expectRefused(try adapterWithKeys(["base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight"]), mentions: ["layer 7", "wrong base model"])
        // clean ones load, with or without the adapter name in the keys
        for name in [nil, "default"] {
            let adapter = try LoRAAdapter(path: try adapterWithKeys([], adapterName: name), baseConfig: config)
            #expect(adapter.adaptedModuleCount == 1)
        }
    }

    @Test func wrongBaseModelAndBinFiles() throws {
        var wider = config
        wider.hiddenSize = 96
        expectRefused(Fixtures.path("lora/tiny-llama/r8_all"), base: wider, mentions: ["lora_A of", "expects [8, 96]", "[8, 64]: wrong base model"])
        let dir = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(atPath: Fixtures.path("lora/tiny-llama/r8_all/adapter_config.json"), toPath: dir + "/adapter_config.json")
        try Data([0x80, 0x02]).write(to: URL(fileURLWithPath: dir + "/adapter_model.bin"))
        expectRefused(dir, mentions: ["adapter_model.bin", "convert", "safetensors"])
        expectRefused(try Fixtures.temporaryDirectory(), mentions: ["adapter_config.json"])
    }

    @Test func plansNamingUnknownAdaptersOrBadWeights() throws {
        #expect(throws: AdapterError.self) { try FusionPlan(parsing: "a=heavy") }
        #expect(throws: AdapterError.self) { try FusionPlan(parsing: "") }
        #expect(try FusionPlan(parsing: "a=0.25, b").slots == [.init(adapter: "a", weight: 0.25), .init(adapter: "b", weight: 1)])
        let bank = AdapterBank(config: config, backend: Fixtures.cpu)
        try bank.load(path: Fixtures.path("lora/tiny-llama/r8_all"))
        #expect(throws: AdapterError.duplicateName("r8_all")) { try bank.load(path: Fixtures.path("lora/tiny-llama/r8_all")) }
    }
}
