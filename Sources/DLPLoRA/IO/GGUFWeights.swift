// GGUFWeights.swift: a GGUF file's tensors under Hugging Face names, as a WeightStore. Every tensor stays
// in its file encoding, in place in the map (block formats included: Q4_0 .. Q8_0, Q2_K .. Q6_K); llama.cpp's row
// permutation of attn_q/attn_k (applied by its converter for the llama architecture) is undone so the
// model code sees exactly the Hugging Face layout.
final class GGUFWeights: WeightStore, @unchecked Sendable {
    let gguf: GGUFFile
    var path: String { gguf.path }
    private let infoByHFName: [String: GGUFFile.TensorInfo]
    /// Heads used to undo the q/k permutation (nil: the architecture is not permuted).
    private let permutation: (heads: Int, kvHeads: Int)?

    init(file: GGUFFile, permuteHeads: (heads: Int, kvHeads: Int)?) throws {
        gguf = file
        permutation = permuteHeads
        var map: [String: GGUFFile.TensorInfo] = [:]
        for info in file.tensors {
            // "token_embd.weight" and "model.embed_tokens.weight" would both be the embedding: refuse, not pick
            if let earlier = map.updateValue(info, forKey: Self.huggingFaceName(info.name)) {
                throw LoadError.malformed(path: file.path, field: "tensor '\(info.name)'",
                                          reason: "names the same weight as tensor '\(earlier.name)' (\(Self.huggingFaceName(info.name)))")
            }
        }
        infoByHFName = map
    }

    /// The Hugging Face name of a llama.cpp tensor name (unknown names are kept as they are).
    static func huggingFaceName(_ name: String) -> String {
        let fixed = ["token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
                     "output.weight": "lm_head.weight"]
        if let mapped = fixed[name] { return mapped }
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "blk", Int(parts[1]) != nil else { return name }
        let blockNames = [
            "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
            "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
            "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
            "ffn_down": "mlp.down_proj",
        ]
        let leafParts = parts[2].split(separator: ".", maxSplits: 1).map(String.init)
        guard leafParts.count == 2, let module = blockNames[leafParts[0]] else { return name }
        return "model.layers.\(parts[1]).\(module).\(leafParts[1])"
    }

    var tensorNames: [String] { infoByHFName.keys.sorted() }

    func tensor(named name: String) throws -> HostTensor? {
        guard let info = infoByHFName[name] else { return nil }
        let shape = Array(info.dims.reversed())
        let raw = gguf.bytes(of: info)
        var heads: Int?
        if let permutation, name.hasSuffix("self_attn.q_proj.weight") || name.hasSuffix("self_attn.q_proj.bias") {
            heads = permutation.heads
        } else if let permutation, name.hasSuffix("self_attn.k_proj.weight") || name.hasSuffix("self_attn.k_proj.bias") {
            heads = permutation.kvHeads
        }
        let count = shape.reduce(1, *)
        guard count > 0, raw.baseAddress != nil, let storage = StorageType(rawValue: info.type.name) else {
            throw LoadError.tensorMismatch(path: path, tensor: info.name, expected: "at least one element", found: "shape \(shape)")
        }
        let stored = HostTensor(file: path, name: name, type: storage, shape: shape, bytes: raw, owner: gguf.file)
        guard let heads else { return stored }
        // a matrix's rows are whole blocks in every type (the reader checked the row length), so the
        // permutation moves rows of bytes, quantized or not; a quantized vector (a bias) has no such rows:
        // it is permuted as f32
        let source = shape.count < 2 ? stored.dequantized() : stored
        let rows = shape[0], rowBytes = source.bytes.count / max(rows, 1)
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0, rows * rowBytes == source.bytes.count else {
            throw LoadError.tensorMismatch(path: path, tensor: info.name, expected: "rows divisible by 2 x \(heads) heads",
                                           found: "\(rows) rows")
        }
        let permuted = OwnedBytes(count: rows * rowBytes)
        let headDim = rows / heads, half = headDim / 2
        for h in 0..<heads {
            for s in 0..<2 {
                for i in 0..<half {
                    let target = h * headDim + s * half + i, from = h * headDim + 2 * i + s
                    permuted.pointer.baseAddress!.advanced(by: target * rowBytes)
                        .copyMemory(from: source.bytes.baseAddress!.advanced(by: from * rowBytes), byteCount: rowBytes)
                }
            }
        }
        return HostTensor(file: path, name: name, type: source.type, shape: shape, bytes: permuted.readOnly, owner: permuted)
    }
}
