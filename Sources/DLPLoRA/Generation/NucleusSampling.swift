// NucleusSampling.swift: the sampling rule shared by the host Sampler and the kernels' `sample` op
// (dlp_kernels.h): top-k by logit threshold, temperature softmax, top-p by logit threshold (ties at a
// threshold all kept), then a draw over the kept tokens in ascending id order. This file is the
// reference the selftest checks the kernels against; it sorts, where the kernels search the float bit
// patterns (a radix select on the CPU, a bisection on CUDA).
import Foundation

enum NucleusSampling {
    /// The kept token ids (ascending, counted from the slice's start) and their unnormalized weights exp((logit - max) / temperature).
    static func kept(_ logits: ArraySlice<Float>, temperature: Float, topK: Int, topP: Float) -> (ids: [Int], weights: [Double]) {
        let values = Array(logits)
        guard let top = values.max() else { return ([], []) }
        let descending = values.sorted(by: >)
        let kThreshold = topK > 0 && topK < values.count ? descending[topK - 1] : -Float.infinity
        func weight(_ v: Float) -> Double { exp(Double(v - top) / Double(temperature)) }
        var threshold = kThreshold
        if topP < 1 {
            let total = values.reduce(0.0) { $1 >= kThreshold ? $0 + weight($1) : $0 }
            var cumulative = 0.0
            var i = 0
            // walk groups of equal logits from the top until the mass reaches top_p of the kept mass
            while i < descending.count, descending[i] >= kThreshold {
                let v = descending[i]
                while i < descending.count, descending[i] == v { cumulative += weight(v); i += 1 }
                threshold = v
                if cumulative >= Double(topP) * total { break }
            }
        }
        let ids = values.indices.filter { values[$0] >= threshold }
        return (ids, ids.map { weight(values[$0]) })
    }

    /// The token for one row: argmax when temperature is 0, else the draw `uniform` in [0, 1).
    static func choose(_ logits: ArraySlice<Float>, temperature: Float, topK: Int, topP: Float, uniform: Double) -> Int32 {
        if temperature == 0 {
            var best = logits.startIndex
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return Int32(best - logits.startIndex)
        }
        let (ids, weights) = kept(logits, temperature: temperature, topK: topK, topP: topP)
        let target = uniform * weights.reduce(0, +)
        var cumulative = 0.0
        for (id, w) in zip(ids, weights) {
            cumulative += w
            if target < cumulative { return Int32(id) }
        }
        return Int32(ids.last ?? 0)
    }
}
