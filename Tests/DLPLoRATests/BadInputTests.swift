// BadInputTests.swift: broken files give typed errors that name the file and the field or tensor:
// truncated safetensors, a header length past the end, overlapping and out-of-range offsets, a
// dtype/shape mismatch, a GGUF with a bad magic or an unknown tensor type, missing config fields,
// unsupported model types, tensors of the wrong shape.
import Foundation
import Testing
@testable import DLPLoRA

/// Writes a safetensors file from a header object and raw data bytes.
func writeSafetensors(_ path: String, header: [String: Any], data: [UInt8], declaredLength: UInt64? = nil) throws {
    let json = try JSONSerialization.data(withJSONObject: header)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { bytes += $0 }
    bytes += json
    bytes += data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// A GGUF v3 file with no metadata and one tensor.
func writeGGUF(_ path: String, magic: UInt32 = 0x4655_4747, tensorType: UInt32, dims: [UInt64], dataBytes: Int) throws {
    var b: [UInt8] = []
    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
    put(magic); put(UInt32(3)); put(UInt64(1)); put(UInt64(0))
    let name = Array("w.weight".utf8)
    put(UInt64(name.count)); b += name
    put(UInt32(dims.count)); dims.forEach { put($0) }
    put(tensorType); put(UInt64(0))
    while b.count % 32 != 0 { b.append(0) }
    b += [UInt8](repeating: 0, count: dataBytes)
    try Data(b).write(to: URL(fileURLWithPath: path))
}

func expectLoadError(_ body: () throws -> Void, mentions fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected a LoadError mentioning \(fragments)", sourceLocation: sourceLocation)
    } catch let error as LoadError {
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(error.description)' should mention '\(fragment)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a LoadError, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct SafetensorsBadInputTests {
    let dir: String
    init() throws { dir = try Fixtures.temporaryDirectory() }

    @Test func truncatedFile() throws {
        let path = dir + "/short.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "header length", "shorter"])
    }

    @Test func truncatedData() throws {
        let path = dir + "/cut.safetensors"
        try writeSafetensors(path, header: ["w": ["dtype": "F32", "shape": [4], "data_offsets": [0, 16]]], data: [UInt8](repeating: 0, count: 8))
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "'w'", "outside the data section"])
    }

    @Test func headerLengthPastEnd() throws {
        let path = dir + "/long.safetensors"
        try writeSafetensors(path, header: [:], data: [], declaredLength: 1_000)
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "header length", "past the end"])
    }

    @Test func overlappingOffsets() throws {
        let path = dir + "/overlap.safetensors"
        try writeSafetensors(path, header: [
            "a": ["dtype": "F32", "shape": [4], "data_offsets": [0, 16]],
            "b": ["dtype": "F32", "shape": [4], "data_offsets": [8, 24]],
        ], data: [UInt8](repeating: 0, count: 24))
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "overlaps"])
    }

    @Test func outOfRangeOffsets() throws {
        let path = dir + "/range.safetensors"
        try writeSafetensors(path, header: ["a": ["dtype": "F16", "shape": [2], "data_offsets": [100, 104]]], data: [0, 0, 0, 0])
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "'a'", "[100, 104]"])
    }

    @Test func dtypeShapeMismatch() throws {
        let path = dir + "/mismatch.safetensors"
        try writeSafetensors(path, header: ["a": ["dtype": "F32", "shape": [2, 3], "data_offsets": [0, 12]]], data: [UInt8](repeating: 0, count: 12))
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "'a'", "24 bytes", "12 bytes"])
    }

    @Test func unknownDtypeAndInvalidJSON() throws {
        let path = dir + "/dtype.safetensors"
        try writeSafetensors(path, header: ["a": ["dtype": "F8_E9", "shape": [1], "data_offsets": [0, 1]]], data: [0])
        expectLoadError({ _ = try SafetensorsFile(path: path) }, mentions: [path, "F8_E9", "supported"])
        let bad = dir + "/json.safetensors"
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(5).littleEndian) { bytes += $0 }
        bytes += Array("{oops".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        expectLoadError({ _ = try SafetensorsFile(path: bad) }, mentions: [bad, "JSON"])
    }
}

@Suite struct GGUFBadInputTests {
    let dir: String
    init() throws { dir = try Fixtures.temporaryDirectory() }

    @Test func badMagic() throws {
        let path = dir + "/magic.gguf"
        try writeGGUF(path, magic: 0x1234_5678, tensorType: 0, dims: [4], dataBytes: 16)
        expectLoadError({ _ = try GGUFFile(path: path) }, mentions: [path, "magic", "GGUF"])
    }

    @Test func unknownTensorType() throws {
        let path = dir + "/type.gguf"
        try writeGGUF(path, tensorType: 99, dims: [32], dataBytes: 64)
        expectLoadError({ _ = try GGUFFile(path: path) }, mentions: [path, "'w.weight'", "99", "Q4_1"])
    }

    @Test func tensorDataPastEnd() throws {
        let path = dir + "/short.gguf"
        try writeGGUF(path, tensorType: 0, dims: [64], dataBytes: 16)
        expectLoadError({ _ = try GGUFFile(path: path) }, mentions: [path, "'w.weight'", "past the end"])
    }

    @Test func truncatedHeader() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("gguf/tiny-llama.gguf")))
        let path = dir + "/cut.gguf"
        try full.prefix(200).write(to: URL(fileURLWithPath: path))
        expectLoadError({ _ = try GGUFFile(path: path) }, mentions: [path, "past the end"])
    }
}

@Suite struct ConfigBadInputTests {
    /// A copy of tiny-llama whose config.json is edited by `edit`.
    func editedModel(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        let source = Fixtures.path("tiny-llama")
        for file in ["model.safetensors", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: dir + "/" + file)
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        return dir
    }

    @Test func missingField() throws {
        let dir = try editedModel { $0.removeValue(forKey: "hidden_size") }
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) }, mentions: ["config.json", "hidden_size", "missing"])
    }

    @Test func unsupportedModelType() throws {
        let dir = try editedModel { $0["model_type"] = "gpt_neox" }
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) }, mentions: ["model_type", "gpt_neox", "llama, qwen2, mistral"])
    }

    @Test func unsupportedRopeType() throws {
        let dir = try editedModel { $0["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0] }
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) }, mentions: ["rope_type", "yarn", "default, linear, llama3"])
    }

    @Test func headsThatDoNotDivide() throws {
        let dir = try editedModel { $0["num_key_value_heads"] = 3 }
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) }, mentions: ["num_key_value_heads", "does not divide"])
    }

    @Test func tensorShapeDoesNotMatchConfig() throws {
        let dir = try editedModel { $0["intermediate_size"] = 96 }
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) },
                        mentions: ["model.safetensors", "model.layers.0.mlp.gate_proj.weight", "[96, 64]", "[128, 64]"])
    }

    @Test func missingWeightsFile() throws {
        let dir = try editedModel { _ in }
        try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) }, mentions: [dir, "model.safetensors"])
    }

    @Test func shardIndexNamingAMissingTensor() throws {
        let dir = try Fixtures.temporaryDirectory()
        let source = Fixtures.path("tiny-mistral")
        for file in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: dir + "/" + file)
        }
        let indexPath = dir + "/model.safetensors.index.json"
        var index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath))) as! [String: Any]
        var map = index["weight_map"] as! [String: String]
        map["model.layers.9.mlp.up_proj.weight"] = "model-00001-of-00002.safetensors"
        index["weight_map"] = map
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: indexPath))
        expectLoadError({ _ = try ModelLoader.load(path: dir, backend: Fixtures.cpu) },
                        mentions: ["model-00001-of-00002.safetensors", "model.layers.9.mlp.up_proj.weight", "missing"])
    }
}
