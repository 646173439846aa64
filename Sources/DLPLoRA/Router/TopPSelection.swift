// TopPSelection.swift: router probabilities -> a fusion plan: sort, keep the nucleus (up to and including
// the adapter whose probability crosses p; always at least one; at most K), then weight the kept ones by
// a softmax over their probabilities (as the paper's code does) or by renormalizing them.

/// How kept probabilities become fusion weights.
public enum PlanWeighting: String, Sendable, Codable, CaseIterable {
    /// softmax over the kept probabilities (the DLP-LoRA code)
    case softmax
    /// kept probabilities divided by their sum
    case renormalize
}

/// The top-p rule of the DLP plugin.
public struct TopPSelection: Sendable, Equatable {
    public var p: Float
    public var weighting: PlanWeighting
    /// Most adapters in one plan.
    public var maxAdapters: Int

    public init(p: Float = 0.6, weighting: PlanWeighting = .softmax, maxAdapters: Int = 3) {
        self.p = p
        self.weighting = weighting
        self.maxAdapters = maxAdapters
    }

    /// The (index, weight) pairs chosen from `probabilities`, highest probability first.
    public func select(_ probabilities: [Float]) -> [(index: Int, weight: Float)] {
        guard !probabilities.isEmpty else { return [] }
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        var kept: [Int] = []
        var cumulative: Float = 0
        for i in order {
            kept.append(i)
            cumulative += probabilities[i]
            if cumulative >= p || kept.count >= max(maxAdapters, 1) { break }
        }
        let values = kept.map { probabilities[$0] }
        let weights: [Float]
        switch weighting {
        case .softmax:
            let top = values.max() ?? 0
            let e = values.map { expf($0 - top) }
            let total = e.reduce(0, +)
            weights = e.map { $0 / total }
        case .renormalize:
            let total = values.reduce(0, +)
            weights = total > 0 ? values.map { $0 / total } : values.map { _ in 1 / Float(values.count) }
        }
        return zip(kept, weights).map { ($0, $1) }
    }

    /// The plan over adapters named `names` (class order).
    public func plan(_ probabilities: [Float], names: [String]) -> FusionPlan {
        FusionPlan(select(probabilities).map { FusionPlan.Slot(adapter: names[$0.index], weight: $0.weight) })
    }
}

#if canImport(Glibc)
import Glibc
#endif
