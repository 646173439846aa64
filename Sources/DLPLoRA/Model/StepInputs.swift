// StepInputs.swift: everything a forward pass reads from the host (token ids, cache slots, positions,
// the rows' adapter plan tables, the sampling draws), staged in one host array and uploaded in one copy
// into a device buffer that only grows. A decode step therefore makes one upload and, once warm,
// allocates nothing: what replaying a captured CUDA graph needs (stable addresses, one transfer).

/// The staged inputs of one step, 4-byte words (i32, or f32 bit patterns).
struct StepInputs {
    private(set) var words: [UInt32] = []

    /// Appends `values`; returns their offset in words.
    mutating func append(_ values: [Int32]) -> Int {
        let offset = words.count
        words.append(contentsOf: values.lazy.map { UInt32(bitPattern: $0) })
        return offset
    }

    /// Appends `values`; returns their offset in words.
    mutating func append(_ values: [Float]) -> Int {
        let offset = words.count
        words.append(contentsOf: values.lazy.map(\.bitPattern))
        return offset
    }

    /// Uploads every staged word in one copy into the pool's step buffer.
    func upload(into pool: ScratchPool) throws -> Uploaded {
        let buffer = try pool.tensor("step_inputs", count: words.count, shape: [words.count]).buffer
        if !words.isEmpty { try buffer.upload(words) }
        return Uploaded(buffer: buffer)
    }

    /// The device copy of the staged words.
    struct Uploaded {
        let buffer: DeviceBuffer

        /// A view of the words from word `offset`, shaped `shape` (i32 or f32, 4 bytes each).
        func tensor(at offset: Int, shape: [Int]) -> DeviceTensor {
            DeviceTensor(buffer: buffer, byteOffset: offset * 4, dtype: .f32, shape: shape)
        }
    }
}
