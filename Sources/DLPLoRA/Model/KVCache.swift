// KVCache.swift: keys and values of every layer for a fixed number of sequence slots, f32
// [slots, kv_heads, capacity, head_dim] per layer, allocated once. A slot's length is how many
// positions of it hold valid entries.

/// The attention cache of one model for `slots` sequences of up to `capacity` positions.
public final class KVCache: @unchecked Sendable {
    struct Layer {
        let keys: DeviceTensor      // f32 [slots, kv_heads, capacity, head_dim]
        let values: DeviceTensor    // f32 [slots, kv_heads, capacity, head_dim]
        let slots: Int
        let capacity: Int
    }

    let layers: [Layer]
    /// Number of sequences the cache holds.
    public let slots: Int
    /// Positions per sequence (the context length).
    public let capacity: Int
    /// Valid positions per slot.
    public internal(set) var lengths: [Int]

    /// Limits on a cache's shape (positions are int32 in the kernel interface).
    public static let maximumSlots = 4096
    public static let maximumCapacity = 1 << 24

    init(backend: KernelBackend, layers count: Int, kvHeads: Int, headDim: Int, slots: Int, capacity: Int) throws {
        self.slots = slots
        self.capacity = capacity
        lengths = Array(repeating: 0, count: slots)
        let shape = [slots, kvHeads, capacity, headDim]
        var bytes = 4
        for dim in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw InferenceError.invalidRequest("a KV cache of \(shape) f32 values does not fit in memory") }
            bytes = product
        }
        layers = try (0..<count).map { _ in
            Layer(keys: DeviceTensor(buffer: try backend.allocate(bytes: bytes), dtype: .f32, shape: shape),
                  values: DeviceTensor(buffer: try backend.allocate(bytes: bytes), dtype: .f32, shape: shape),
                  slots: slots, capacity: capacity)
        }
    }

    /// Bytes held by keys and values of all layers.
    public var byteCount: Int { layers.reduce(0) { $0 + $1.keys.byteCount + $1.values.byteCount } }
}
