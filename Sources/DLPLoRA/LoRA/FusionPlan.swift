// FusionPlan.swift: a plan is up to K (adapter, weight) slots, the mix one row of tokens runs with
// (y = W x + sum_k w_k s_k B_k A_k x). AdapterSelection ties plans to the rows of one forward pass and
// says whether to run them fused (all slots in one shrink and one expand) or one adapter at a time.

/// A weighted mix of adapters.
public struct FusionPlan: Sendable, Equatable, CustomStringConvertible {
    public struct Slot: Sendable, Equatable {
        public var adapter: String
        public var weight: Float
        public init(adapter: String, weight: Float) {
            self.adapter = adapter
            self.weight = weight
        }
    }

    public var slots: [Slot]

    public init(_ slots: [Slot]) { self.slots = slots }

    /// A plan of (name, weight) pairs.
    public init(_ pairs: KeyValuePairs<String, Float>) { slots = pairs.map { Slot(adapter: $0.key, weight: $0.value) } }

    /// Parses "name=weight,name=weight" (a bare name means weight 1).
    public init(parsing text: String) throws {
        slots = try text.split(separator: ",").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = pieces.first, !name.isEmpty else { throw AdapterError.invalidPlan("empty adapter name in '\(text)'") }
            guard pieces.count == 2 else { return Slot(adapter: name, weight: 1) }
            guard let weight = Float(pieces[1]), weight.isFinite, abs(weight) <= FusionPlan.maximumWeight else {
                throw AdapterError.invalidPlan("'\(pieces[1])' is not a weight (in '\(part)'); expected name=number from -\(Int(FusionPlan.maximumWeight)) to \(Int(FusionPlan.maximumWeight))")
            }
            return Slot(adapter: name, weight: weight)
        }
        guard !slots.isEmpty else { throw AdapterError.invalidPlan("the mix names no adapter") }
    }

    /// The largest |weight| a mix accepts (the router's weights sum to 1; beyond this the output is noise).
    public static let maximumWeight: Float = 100

    public var description: String { slots.map { "\($0.adapter)=\($0.weight)" }.joined(separator: ",") }
}

/// The adapters of one forward pass: a bank, plans, and which plan each row uses.
public struct AdapterSelection: Sendable {
    public let bank: AdapterBank
    public let plans: [FusionPlan]
    /// One entry per row: an index into `plans`, or -1 for the base model alone.
    public let planOfRow: [Int32]
    /// false: the reference path, one adapter at a time (as the paper's code does); for tests and benchmarks.
    public let fused: Bool

    public init(bank: AdapterBank, plans: [FusionPlan], planOfRow: [Int32], fused: Bool = true) {
        self.bank = bank
        self.plans = plans
        self.planOfRow = planOfRow
        self.fused = fused
    }

    /// Most slots of any plan.
    var kSlots: Int { max(plans.map(\.slots.count).max() ?? 1, 1) }

    /// Plans as bank indices: ([plans * kSlots] adapters, -1 for empty slots; [plans * kSlots] weights).
    func resolved(names: [String]) throws -> (adapters: [Int32], weights: [Float]) {
        let k = kSlots
        var adapters = [Int32](repeating: -1, count: plans.count * k)
        var weights = [Float](repeating: 0, count: plans.count * k)
        for (p, plan) in plans.enumerated() {
            for (s, slot) in plan.slots.enumerated() {
                guard let index = names.firstIndex(of: slot.adapter) else {
                    throw AdapterError.unknownAdapter(slot.adapter, loaded: names)
                }
                guard slot.weight.isFinite, abs(slot.weight) <= FusionPlan.maximumWeight else {
                    throw AdapterError.invalidPlan("adapter '\(slot.adapter)' has weight \(slot.weight); weights are finite and at most \(FusionPlan.maximumWeight) in size")
                }
                adapters[p * k + s] = Int32(index)
                weights[p * k + s] = slot.weight
            }
        }
        return (adapters, weights)
    }
}
