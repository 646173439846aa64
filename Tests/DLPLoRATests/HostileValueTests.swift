// HostileValueTests.swift: values that pass a format's structure but would break later are refused where
// they are read, naming the file and the field: overflowing shapes, counts that would size an allocation
// beyond the bytes present, duplicate names, ids outside the vocabulary, non-finite or absurd floats in
// configs and weights, option values past the stated caps; the command line exits non-zero without a trap.
import CKernels
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct HostileValueTests {
    let dir: String
    init() throws { dir = try Fixtures.temporaryDirectory() }

    // MARK: safetensors

    @Test func overflowingShapeIsAnErrorNotATrap() throws {
        let path = dir + "/huge.safetensors"
        try writeSafetensors(path, header: ["w": ["dtype": "F32", "shape": [1 << 40, 1 << 22], "data_offsets": [0, 4]]], data: [0, 0, 0, 0])
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "'w'"])
    }

    @Test func theMostNegativeIntegerIsAnErrorNotATrap() throws {
        let path = dir + "/intmin.safetensors"
        for header in [#"{"t":{"dtype":"F32","shape":[-9223372036854775808],"data_offsets":[0,4]}}"#,
                       #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[-9223372036854775808,4]}}"#] {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
            bytes += Array(header.utf8) + [0, 0, 0, 0]
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "'t'"])
        }
    }

    @Test func duplicateTensorNamesAreRefused() throws {
        // JSONSerialization cannot write a duplicate key: write the header text by hand
        let path = dir + "/dup.safetensors"
        for header in [#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                       "{\"caf\\u00e9\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"cafe\\u0301\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"] {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
            bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 8)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "appears twice"])
        }
    }

    // MARK: GGUF

    /// A GGUF v3 file with the given metadata entries (key, type, payload bytes) and no tensors.
    func gguf(_ entries: [(String, UInt32, [UInt8])], padding: Int = 0) throws -> String {
        var b: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        put(UInt32(0x4655_4747)); put(UInt32(3)); put(UInt64(0)); put(UInt64(entries.count))
        for (key, type, payload) in entries {
            put(UInt64(key.utf8.count)); b += Array(key.utf8); put(type); b += payload
        }
        b += [UInt8](repeating: 0, count: padding)
        let path = dir + "/meta-\(entries.count)-\(padding).gguf"
        try Data(b).write(to: URL(fileURLWithPath: path))
        return path
    }

    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// A quantized q_proj bias in a llama GGUF (whose q/k rows llama.cpp permutes): a vector has no rows of
    /// whole blocks, so it is dequantized, then permuted element by element (it used to be cut into
    /// 1-byte "rows" and read past its copy).
    @Test func aQuantizedBiasIsPermutedAsF32() throws {
        // one Q8_0 tensor of 64 values: two blocks, d = 1, values q = i - 32
        var data: [UInt8] = []
        for block in 0..<2 {
            data += le(dlp_f32_to_f16(1))
            data += (0..<32).map { UInt8(bitPattern: Int8(block * 32 + $0 - 32)) }
        }
        var b: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        let name = "blk.0.attn_q.bias"
        put(UInt32(0x4655_4747)); put(UInt32(3)); put(UInt64(1)); put(UInt64(0))
        put(UInt64(name.utf8.count)); b += Array(name.utf8); put(UInt32(1)); put(UInt64(64)); put(UInt32(8)); put(UInt64(0))
        b += [UInt8](repeating: 0, count: (32 - b.count % 32) % 32) + data
        let path = dir + "/q8-bias.gguf"
        try Data(b).write(to: URL(fileURLWithPath: path))
        let store = try GGUFWeights(file: try GGUFFile(path: path), permuteHeads: (heads: 4, kvHeads: 2))
        let bias = try #require(try store.tensor(named: "model.layers.0.self_attn.q_proj.bias"))
        #expect(bias.type == .f32 && bias.shape == [64] && bias.bytes.count == 256)
        // head h, half s, index i takes element h * 16 + 2 i + s (the inverse of llama.cpp's interleave)
        let expected = (0..<64).map { t -> Float in
            let h = t / 16, s = (t % 16) / 8, i = t % 8
            return Float(h * 16 + 2 * i + s - 32)
        }
        #expect(bias.floatValues() == expected)
    }

    @Test func arrayCountsAreCheckedAgainstTheBytesPresent() throws {
        // 1M u64 elements declared, 2 MB present: 8 bytes each cannot fit
        let path = try gguf([("big", 9, le(UInt32(10)) + le(UInt64(1_000_000)))], padding: 2_000_000)
        expectLoadError({ _ = try GGUFFile(path: path) }, mentions: [path, "big", "past the end"])
        // 9M one-byte elements do fit in the file, but are beyond the cap on metadata elements
        let many = try gguf([("bytes", 9, le(UInt32(0)) + le(UInt64(9_000_000)))], padding: 9_000_000)
        expectLoadError({ _ = try GGUFFile(path: many) }, mentions: [many, "bytes", "elements in all"])
    }

    @Test func duplicateMetadataKeysAreRefused() throws {
        let path = try gguf([("general.alignment", 4, le(UInt32(32))), ("general.alignment", 4, le(UInt32(64)))])
        expectLoadError({ _ = try GGUFFile(path: path) }, mentions: [path, "general.alignment", "twice"])
    }

    @Test func specialTokenIDsOutsideTheVocabularyAreRefused() throws {
        func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
        let tokens = le(UInt32(8)) + le(UInt64(3)) + string("a") + string("b") + string("ab")
        let scores = le(UInt32(6)) + le(UInt64(3)) + le(UInt32(0)) + le(UInt32(0)) + le(UInt32(0))
        for (field, value) in [("tokenizer.ggml.bos_token_id", UInt32(3)), ("tokenizer.ggml.eos_token_id", UInt32(1000))] {
            let path = try gguf([("tokenizer.ggml.model", 8, string("llama")), ("tokenizer.ggml.tokens", 9, tokens),
                                 ("tokenizer.ggml.scores", 9, scores), (field, 4, le(value))])
            #expect(throws: LoadError.self) { _ = try TokenizerLoader.load(path: path) }
            do { _ = try TokenizerLoader.load(path: path) } catch { #expect("\(error)".contains(field) && "\(error)".contains("outside the vocabulary"), "\(error)") }
        }
    }

    // MARK: tokenizer.json

    @Test func tokenizerIDsBeyondTheEntriesAreRefusedBeforeAllocating() throws {
        let path = dir + "/tokenizer.json"
        for (json, field) in [(#"{"model":{"type":"BPE","vocab":{"a":0,"b":1000000000},"merges":[]}}"#, "model.vocab"),
                              (#"{"model":{"type":"BPE","vocab":{"a":0,"b":-1},"merges":[]}}"#, "model.vocab"),
                              (#"{"added_tokens":[{"id":999999999,"content":"<x>"}],"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}"#, "added_tokens[0].id")] {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            expectLoadError({ _ = try TokenizerLoader.load(path: path) }, mentions: [path, field, "outside"])
        }
    }

    @Test func aBrokenTokenizerConfigIsAnErrorNotSilentlyIgnored() throws {
        let folder = dir + "/tok"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("tokenizers/bytelevel.json"), toPath: folder + "/tokenizer.json")
        try Data("{\"chat_template\": ".utf8).write(to: URL(fileURLWithPath: folder + "/tokenizer_config.json"))
        expectLoadError({ _ = try TokenizerLoader.load(path: folder) }, mentions: ["tokenizer_config.json", "JSON"])
    }

    @Test func realTokenizerConfigsWithHugeIntegersStillLoad() throws {
        // transformers writes model_max_length = 1e30 as an integer literal; JSONSerialization and Python read it
        let folder = dir + "/big"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("tokenizers/bytelevel.json"), toPath: folder + "/tokenizer.json")
        try Data(#"{"model_max_length": 1000000000000000019884624838656, "eos_token": "</s>", "chat_template": "{{ messages }}"}"#.utf8)
            .write(to: URL(fileURLWithPath: folder + "/tokenizer_config.json"))
        let tokenizer = try TokenizerLoader.load(path: folder)
        #expect(tokenizer.chatTemplate == "{{ messages }}")
        #expect(tokenizer.eosTokenID != nil)
    }

    @Test func stopStringsAreBoundedInNumberAndLength() throws {
        let model = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu).0
        let generator = Generator(model: model, tokenizer: nil, contextLength: 16)
        for stops in [[String(repeating: "x", count: 2000)], (0..<100).map { "s\($0)" }] {
            #expect(throws: GenerationError.self) {
                _ = try generator.generate([GenerationRequest(promptIDs: [1, 2], maxTokens: 2, stopStrings: stops)])
            }
        }
    }

    // MARK: config.json

    @Test func nonFiniteAndAbsurdConfigValuesAreRefused() throws {
        let cases: [(String, Any, String)] = [("rope_theta", 0, "rope_theta"), ("rope_theta", 1e300 * 10, "rope_theta"),
                                              ("rms_norm_eps", 1e39, "rms_norm_eps"), ("num_hidden_layers", 1 << 40, "num_hidden_layers"),
                                              ("eos_token_id", 1 << 40, "eos_token_id"), ("bos_token_id", -1, "bos_token_id"),
                                              ("sliding_window", -1, "sliding_window")]
        for (field, value, mention) in cases {
            let model = try ConfigBadInputTests().editedModel { $0[field] = value }
            expectLoadError({ _ = try ModelLoader.load(path: model, backend: Fixtures.cpu) }, mentions: ["config.json", mention])
        }
    }

    @Test func hugeContextOrSlotCountsAreErrors() throws {
        let model = try ModelLoader.load(path: Fixtures.path("tiny-llama"), backend: Fixtures.cpu).0
        #expect(throws: InferenceError.self) { _ = try model.makeCache(slots: 1, capacity: 1 << 62) }
        #expect(throws: InferenceError.self) { _ = try model.makeCache(slots: 1 << 40, capacity: 16) }
        #expect(throws: BackendError.self) { _ = try KernelBackend.cpu(threads: 10_000) }
    }

    // MARK: adapters and plans

    @Test func absurdAdapterScalesAndWeightsAreRefused() throws {
        let config = try ModelConfig.load(path: Fixtures.path("tiny-llama/config.json"))
        let tests = try AdapterBadInputTests()
        for alpha in [1e308, 1e6] {
            let path = try tests.editedAdapter { $0["lora_alpha"] = alpha }
            expectLoadError({ _ = try LoRAAdapter(path: path, baseConfig: config) }, mentions: ["adapter_config.json", "lora_alpha"])
        }
        let badPattern = try tests.editedAdapter { $0["alpha_pattern"] = ["q_proj[": 4] }
        expectLoadError({ _ = try LoRAAdapter(path: badPattern, baseConfig: config) }, mentions: ["alpha_pattern", "regular expression"])
        // a target_modules regex that backtracks catastrophically on module names ends (matching nothing,
        // or past its time budget) with an error, not a hang
        let slow = try tests.editedAdapter { $0["target_modules"] = "(([a-z_.0-9])+)+!" }
        let started = ContinuousClock.now
        expectLoadError({ _ = try LoRAAdapter(path: slow, baseConfig: config) }, mentions: ["target_modules"])
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(throws: AdapterError.self) { _ = try FusionPlan(parsing: "a=1e38") }
        #expect(throws: AdapterError.self) { _ = try FusionPlan(parsing: "a=nan") }
    }

    @Test func nonFiniteAdapterWeightsAreReportedByTensor() throws {
        let source = Fixtures.path("lora/tiny-llama/r8_all")
        let adapter = dir + "/nan-adapter"
        try FileManager.default.copyItem(atPath: source, toPath: adapter)
        // overwrite the first value of a lora_B tensor with NaN, in place
        var bytes = try Data(contentsOf: URL(fileURLWithPath: adapter + "/adapter_model.safetensors"))
        let headerLength = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let info = try #require(header.first { $0.key.contains("lora_B") }?.value as? [String: Any])
        let offset = 8 + headerLength + (try #require((info["data_offsets"] as? [Int])?.first))
        let nan: [UInt8] = info["dtype"] as? String == "F32" ? le(Float.nan.bitPattern) : le(UInt16(0x7E00))
        bytes.replaceSubrange(offset..<(offset + nan.count), with: nan)
        try bytes.write(to: URL(fileURLWithPath: adapter + "/adapter_model.safetensors"))
        let config = try ModelConfig.load(path: Fixtures.path("tiny-llama/config.json"))
        expectLoadError({ _ = try LoRAAdapter(path: adapter, baseConfig: config) }, mentions: ["adapter_model.safetensors", "lora_B", "not finite"])
    }

    // MARK: command line

    @Test func optionsPastTheirCapsExitNonZeroWithoutATrap() throws {
        let model = Fixtures.path("tiny-llama")
        let cases: [([String], String)] = [
            (["generate", "--model", model, "--device", "cpu", "--ids", "1,2", "--threads", "10000"], "--threads"),
            (["generate", "--model", model, "--device", "cpu", "--ids", "1,2", "--context", "4611686018427387904"], "--context"),
            (["bench", "--device", "cpu", "--loaded", "100000000"], "--loaded"),
            (["bench", "--device", "cpu", "--batch", "0"], "--batch"),
            (["generate", "--model", model, "--device", "cpu", "--adapters", Fixtures.path("lora/tiny-llama/r8_all"),
              "--mix", "r8_all=1e38", "--ids", "1,2"], "weight"),
        ]
        for (arguments, mention) in cases {
            let result = try runCommand(arguments)
            #expect(result.status != 0 && result.status < 128, "\(arguments): exit \(result.status)")
            #expect(result.stderr.contains(mention), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), "\(arguments): \(result.stderr)")
        }
    }
}
