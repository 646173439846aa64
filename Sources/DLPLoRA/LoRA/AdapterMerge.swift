// AdapterMerge.swift: bakes one fixed plan into the base weights (W' = W + sum_k w_k s_k B_k A_k), for
// the fastest serving of a single mix. Merged projections become copies in the weight's own dtype (so a
// merged f16 model decodes as fast as the base; the sum is computed in f32 and rounded once); a
// block-quantized projection becomes an f16 copy of its dequantized values plus the adapters (never
// requantized: that would add a second rounding on top of the adapter).
import CKernels

extension TransformerModel {
    /// Merges `plan` (adapters of `bank`) into this model's weights. Irreversible: reload to undo.
    public func merge(_ plan: FusionPlan, from bank: AdapterBank) throws {
        guard bank.config == config else { throw InferenceError.invalidRequest("the adapter bank was made for another model configuration") }
        let adapters = try plan.slots.map { slot -> (LoRAAdapter, Float) in
            guard let adapter = bank.adapter(named: slot.adapter) else { throw AdapterError.unknownAdapter(slot.adapter, loaded: bank.names) }
            return (adapter, slot.weight)
        }
        try withExclusiveAccess {
            for layer in 0..<config.numHiddenLayers {
                for projection in Projection.allCases {
                    let parts = adapters.compactMap { adapter, weight in adapter.modules[layer]?[projection].map { ($0, weight) } }
                    guard !parts.isEmpty else { continue }
                    let (dIn, dOut) = projection.dimensions(config)
                    var merged = try floatValues(of: weights.layers[layer][keyPath: projection.weightPath])   // [dOut, dIn]
                    for (module, weight) in parts {
                        let coefficient = weight * module.scale
                        for o in 0..<dOut {
                            for j in 0..<module.rank {
                                let bj = coefficient * module.b[o * module.rank + j]
                                if bj == 0 { continue }
                                let aRow = j * dIn, wRow = o * dIn
                                for c in 0..<dIn { merged[wRow + c] += bj * module.a[aRow + c] }
                            }
                        }
                    }
                    let base = weights.layers[layer][keyPath: projection.weightPath].dtype
                    let dtype = base.isQuantized ? DType.f16 : base
                    let buffer = try backend.allocate(bytes: merged.count * (dtype == .f32 ? 4 : 2))
                    switch dtype {
                    case .f16: try buffer.upload(merged.map { dlp_f32_to_f16($0) })
                    case .bf16: try buffer.upload(merged.map { dlp_f32_to_bf16($0) })
                    default: try buffer.upload(merged)
                    }
                    weights.layers[layer][keyPath: projection.weightPath] = DeviceTensor(buffer: buffer, dtype: dtype, shape: [dOut, dIn])
                }
            }
        }
    }

    /// A weight's values as f32 (downloaded from the backend, widened from f16/bf16, dequantized from a
    /// block format).
    private func floatValues(of tensor: DeviceTensor) throws -> [Float] {
        var raw = [UInt8](repeating: 0, count: tensor.byteCount)
        try raw.withUnsafeMutableBytes { try backend.download(tensor.buffer, offset: tensor.byteOffset, into: $0) }
        var out = [Float](repeating: 0, count: tensor.count)
        raw.withUnsafeBytes { bytes in
            out.withUnsafeMutableBufferPointer { dst in
                switch tensor.dtype {
                case .f32: _ = bytes.copyBytes(to: dst)
                case .f16: dlp_f16_to_f32(bytes.baseAddress!.assumingMemoryBound(to: UInt16.self), Int64(tensor.count), dst.baseAddress!)
                case .bf16: dlp_bf16_to_f32(bytes.baseAddress!.assumingMemoryBound(to: UInt16.self), Int64(tensor.count), dst.baseAddress!)
                default:                                 // a block format, plain or row-interleaved: [rows, k]
                    let k = tensor.shape.last ?? tensor.count, rows = tensor.count / max(k, 1)
                    _ = dlp_dequantize_rows(tensor.dtype.kernelType, Int64(rows), Int64(k),
                                            bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), 0, Int64(rows), dst.baseAddress!)
                }
            }
        }
        return out
    }
}
