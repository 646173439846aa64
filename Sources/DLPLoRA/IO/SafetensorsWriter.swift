// SafetensorsWriter.swift: writes f32/i32 tensors and string metadata as a .safetensors file (header
// padded to 8 bytes, tensors in the order given), for router files and tests.
import Foundation

enum SafetensorsWriter {
    enum Tensor {
        case f32(name: String, shape: [Int], values: [Float])
        case i32(name: String, shape: [Int], values: [Int32])
    }

    static func write(_ tensors: [Tensor], metadata: [String: String], to path: String) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in tensors {
            let (name, shape, dtype, bytes): (String, [Int], String, Int)
            switch tensor {
            case let .f32(n, s, v): (name, shape, dtype, bytes) = (n, s, "F32", v.count * 4)
            case let .i32(n, s, v): (name, shape, dtype, bytes) = (n, s, "I32", v.count * 4)
            }
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for tensor in tensors {
            switch tensor {
            case let .f32(_, _, v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            case let .i32(_, _, v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        do { try out.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw LoadError.cannotOpen(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
