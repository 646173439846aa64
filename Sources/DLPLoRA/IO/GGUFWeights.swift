// GGUFWeights.swift: a GGUF file's tensors under Hugging Face names, as a WeightStore. Quantized types
// (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) are dequantized to f32 when a tensor is first asked for; llama.cpp's row
// permutation of attn_q/attn_k (applied by its converter for the llama architecture) is undone so the
// model code sees exactly the Hugging Face layout.
import CKernels

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
        let storage: StorageType
        let owned: OwnedBytes?
        let count = shape.reduce(1, *)
        guard count > 0, raw.baseAddress != nil else {
            throw LoadError.tensorMismatch(path: path, tensor: info.name, expected: "at least one element", found: "shape \(shape)")
        }
        switch info.type {
        case .f32: storage = .f32; owned = nil
        case .f16: storage = .f16; owned = nil
        case .bf16: storage = .bf16; owned = nil
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
            storage = .f32
            let out = OwnedBytes(count: count * 4)
            let blocks = Int64(count / info.type.block.elements)
            let src = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let dst = out.pointer.baseAddress!.assumingMemoryBound(to: Float.self)
            switch info.type {
            case .q8_0: dlp_dequantize_q8_0(src, blocks, dst)
            case .q4_0: dlp_dequantize_q4_0(src, blocks, dst)
            case .q4_1: dlp_dequantize_q4_1(src, blocks, dst)
            case .q5_0: dlp_dequantize_q5_0(src, blocks, dst)
            case .q5_1: dlp_dequantize_q5_1(src, blocks, dst)
            case .q2_K: dlp_dequantize_q2_k(src, blocks, dst)
            case .q3_K: dlp_dequantize_q3_k(src, blocks, dst)
            case .q4_K: dlp_dequantize_q4_k(src, blocks, dst)
            case .q5_K: dlp_dequantize_q5_k(src, blocks, dst)
            default: dlp_dequantize_q6_k(src, blocks, dst)
            }
            owned = out
        }
        let source = owned?.readOnly ?? raw
        guard let heads else {
            return HostTensor(file: path, name: name, type: storage, shape: shape, bytes: source, owner: owned ?? gguf.file)
        }
        let rows = shape[0], rowBytes = shape.count > 1 ? shape[1] * storage.size : storage.size
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0 else {
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
                        .copyMemory(from: source.baseAddress!.advanced(by: from * rowBytes), byteCount: rowBytes)
                }
            }
        }
        return HostTensor(file: path, name: name, type: storage, shape: shape, bytes: permuted.readOnly, owner: permuted)
    }
}
