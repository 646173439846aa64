// AdapterBank.swift: every loaded adapter of a model, stacked per (layer, projection) on the backend:
// A as [N, r_max, d_in] and B transposed as [N, r_max, d_out], zero-padded to the largest rank, with per-adapter
// rank (0 where an adapter leaves the projection alone) and scale. Loading or unloading an adapter
// rebuilds the stacks it touches; base weights are never touched. Adding the hundredth adapter costs
// memory, not time: kernels index the stack by adapter number. The stacks are stored in f32, or in f16
// or bf16 (half the bytes each token streams) when the bank is made for such a model; an f16 stack
// holding a value f16 cannot represent (beyond +-65504) stays f32.
import CKernels
import Foundation

/// The adapters loaded for one model.
public final class AdapterBank: @unchecked Sendable {
    /// One (layer, projection)'s stack (a class: the forward pass hands it to each projection without
    /// copying its tensors).
    final class Stack {
        let dIn: Int, dOut: Int, rMax: Int, adapterCount: Int
        let a: DeviceTensor          // [adapterCount, rMax, dIn] in the bank's storage dtype
        let b: DeviceTensor          // [adapterCount, rMax, dOut] in the bank's storage dtype: B transposed
        let ranks: DeviceTensor      // i32 [adapterCount]
        let scales: DeviceTensor     // f32 [adapterCount]
        var byteCount: Int { a.byteCount + b.byteCount + ranks.byteCount + scales.byteCount }

        init(dIn: Int, dOut: Int, rMax: Int, adapterCount: Int, a: DeviceTensor, b: DeviceTensor, ranks: DeviceTensor,
             scales: DeviceTensor) {
            self.dIn = dIn
            self.dOut = dOut
            self.rMax = rMax
            self.adapterCount = adapterCount
            self.a = a
            self.b = b
            self.ranks = ranks
            self.scales = scales
        }
    }

    public let config: ModelConfig
    let backend: KernelBackend
    private let lock = NSLock()
    private(set) var adapters: [LoRAAdapter] = []
    private var current = Snapshot(names: [], stacks: [], maxRank: 0)

    /// The dtype A and B are stacked in (f32, f16 or bf16; ranks and scales stay exact).
    public let storage: DType

    /// An empty bank for models with `config` on `backend`, stacking adapters in `storage`
    /// (`TransformerModel.adapterStorage` picks the model's dtype for f16 and bf16 models, f16 for
    /// quantized ones; a block format given here means f32: adapters are never quantized).
    public init(config: ModelConfig, backend: KernelBackend, storage: DType = .f32) {
        self.config = config
        self.backend = backend
        self.storage = storage.isQuantized ? .f32 : storage
    }

    /// Names of the loaded adapters, in bank order (the index plans refer to).
    public var names: [String] { lock.withLock { adapters.map(\.name) } }

    /// Bytes of the stacked adapter weights on the backend.
    public var byteCount: Int { lock.withLock { current.stacks.reduce(0) { $0 + ($1?.byteCount ?? 0) } } }

    /// The loaded adapter called `name`.
    public func adapter(named name: String) -> LoRAAdapter? { lock.withLock { adapters.first { $0.name == name } } }

    /// The bank index of adapter `name`.
    public func index(of name: String) -> Int? { lock.withLock { adapters.firstIndex { $0.name == name } } }

    /// Loads the PEFT adapter folder at `path` (named after the folder unless `name` is given).
    @discardableResult
    public func load(path: String, name: String? = nil) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(path: path, name: name, baseConfig: config)
        try add(adapter)
        return adapter
    }

    /// Adds an adapter read elsewhere (its base config must be this bank's).
    public func add(_ adapter: LoRAAdapter) throws {
        try add([adapter])
    }

    /// Adds several adapters, building the stacks (and uploading them) once.
    public func add(_ list: [LoRAAdapter]) throws {
        try lock.withLock {
            var names = Set(adapters.map(\.name))
            for adapter in list {
                guard names.insert(adapter.name).inserted else { throw AdapterError.duplicateName(adapter.name) }
            }
            try rebuild(with: adapters + list)
        }
    }

    /// Unloads adapter `name`; later adapters move down one index.
    public func unload(name: String) throws {
        try lock.withLock {
            guard let i = adapters.firstIndex(where: { $0.name == name }) else { throw AdapterError.unknownAdapter(name, loaded: adapters.map(\.name)) }
            var remaining = adapters
            remaining.remove(at: i)
            try rebuild(with: remaining)
        }
    }

    /// A consistent view of the bank for one forward pass (loads and unloads may happen meanwhile).
    struct Snapshot {
        let names: [String]
        /// [layer * Projection.allCases.count + projection.index]: nil where no loaded adapter changes it
        let stacks: [Stack?]
        /// The largest rank of any stack (sizes the shrink's intermediate).
        let maxRank: Int
        /// Which build of the bank this is (each load or unload makes a new one with new stacks).
        var generation = 0
        /// The stack of (layer, projection), if any loaded adapter changes it.
        func stack(layer: Int, projection: Projection) -> Stack? {
            let i = layer * Projection.allCases.count + projection.index
            return layer >= 0 && i < stacks.count ? stacks[i] : nil
        }
    }

    /// The bank as it is now (built when adapters are loaded or unloaded, so taking it costs nothing).
    func snapshot() -> Snapshot { lock.withLock { current } }

    /// Loads several adapter folders, rebuilding the stacks once.
    public func load(paths: [String]) throws {
        try add(try paths.map { try LoRAAdapter(path: $0, baseConfig: config) })
    }

    private func rebuild(with list: [LoRAAdapter]) throws {
        var built = [Stack?](repeating: nil, count: config.numHiddenLayers * Projection.allCases.count)
        for layer in 0..<config.numHiddenLayers {
            for projection in Projection.allCases {
                let modules = list.map { $0.modules[layer]?[projection] }
                let rMax = modules.compactMap { $0?.rank }.max() ?? 0
                guard rMax > 0 else { continue }
                let (dIn, dOut) = projection.dimensions(config)
                let n = list.count
                var a = [Float](repeating: 0, count: n * rMax * dIn)
                var b = [Float](repeating: 0, count: n * dOut * rMax)
                var ranks = [Int32](repeating: 0, count: n)
                var scales = [Float](repeating: 0, count: n)
                for (i, module) in modules.enumerated() {
                    guard let module else { continue }
                    ranks[i] = Int32(module.rank)
                    scales[i] = module.scale
                    for j in 0..<module.rank {
                        let dst = (i * rMax + j) * dIn
                        a.replaceSubrange(dst..<(dst + dIn), with: module.a[(j * dIn)..<((j + 1) * dIn)])
                    }
                    for row in 0..<dOut {                   // B [dOut, rank] -> Bt [rank, dOut]
                        for j in 0..<module.rank { b[(i * rMax + j) * dOut + row] = module.b[row * module.rank + j] }
                    }
                }
                func upload<T>(_ values: [T], dtype: DType, shape: [Int]) throws -> DeviceTensor {
                    let buffer = try backend.allocate(bytes: values.count * MemoryLayout<T>.stride)
                    try buffer.upload(values)
                    return DeviceTensor(buffer: buffer, dtype: dtype, shape: shape)
                }
                // one dtype for A and B of this stack: the bank's, unless f16 would overflow
                let fitsF16 = !(a.contains { abs($0) > 65504 } || b.contains { abs($0) > 65504 })
                let dtype = storage == .f16 && !fitsF16 ? DType.f32 : storage
                func stored(_ values: [Float], shape: [Int]) throws -> DeviceTensor {
                    switch dtype {
                    case .f16: return try upload(values.map { dlp_f32_to_f16($0) }, dtype: .f16, shape: shape)
                    case .bf16: return try upload(values.map { dlp_f32_to_bf16($0) }, dtype: .bf16, shape: shape)
                    default: return try upload(values, dtype: .f32, shape: shape)
                    }
                }
                built[layer * Projection.allCases.count + projection.index] = Stack(
                    dIn: dIn, dOut: dOut, rMax: rMax, adapterCount: n,
                    a: try stored(a, shape: [n, rMax, dIn]), b: try stored(b, shape: [n, rMax, dOut]),
                    ranks: try upload(ranks, dtype: .f32, shape: [n]), scales: try upload(scales, dtype: .f32, shape: [n]))
            }
        }
        current = Snapshot(names: list.map(\.name), stacks: built, maxRank: built.reduce(0) { max($0, $1?.rMax ?? 0) },
                           generation: current.generation + 1)
        adapters = list
    }
}

/// Errors in naming or combining adapters.
public enum AdapterError: Error, CustomStringConvertible, Equatable {
    case duplicateName(String)
    case unknownAdapter(String, loaded: [String])
    case invalidPlan(String)

    public var description: String {
        switch self {
        case let .duplicateName(name): return "an adapter named '\(name)' is already loaded"
        case let .unknownAdapter(name, loaded): return "no adapter named '\(name)' is loaded (loaded: \(loaded.isEmpty ? "none" : loaded.joined(separator: ", ")))"
        case let .invalidPlan(message): return message
        }
    }
}
