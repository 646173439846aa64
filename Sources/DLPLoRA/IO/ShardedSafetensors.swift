// ShardedSafetensors.swift: a model folder's weights as one store: a single model.safetensors, or the
// shards named by model.safetensors.index.json (every shard validated, every mapped name present).
import Foundation

/// All safetensors files of a Hugging Face model folder, addressed by tensor name.
final class SafetensorsFolder: WeightStore, @unchecked Sendable {
    let path: String
    private let shards: [SafetensorsFile]
    private let shardOfTensor: [String: Int]

    init(folder: String) throws {
        path = folder
        let indexPath = (folder as NSString).appendingPathComponent("model.safetensors.index.json")
        let singlePath = (folder as NSString).appendingPathComponent("model.safetensors")
        let fm = FileManager.default
        if fm.fileExists(atPath: indexPath) {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: indexPath)) } catch {
                throw LoadError.cannotOpen(path: indexPath, reason: error.localizedDescription)
            }
            // our JSON reader: a tensor named twice in weight_map is an error, not a silent overwrite
            let object: JinjaValue
            do { object = try JinjaValue.parseJSON(data, rejectingDuplicateKeys: true) } catch {
                throw LoadError.malformed(path: indexPath, field: "index", reason: "not valid JSON (\(error))")
            }
            guard case let .dict(root) = object, case let .dict(mapObject)? = root["weight_map"] else {
                throw LoadError.malformed(path: indexPath, field: "weight_map", reason: "missing or not an object of tensor name -> file name")
            }
            var weightMap: [String: String] = [:]
            for (key, value) in mapObject.pairs {
                guard case let .string(tensor) = key, case let .string(file) = value else {
                    throw LoadError.malformed(path: indexPath, field: "weight_map", reason: "missing or not an object of tensor name -> file name")
                }
                guard weightMap.updateValue(file, forKey: tensor) == nil else {
                    throw LoadError.malformed(path: indexPath, field: "weight_map['\(tensor)']", reason: "the tensor is named twice")
                }
            }
            let files = Array(Set(weightMap.values)).sorted()
            var shards: [SafetensorsFile] = []
            var indexOfFile: [String: Int] = [:]
            for file in files {
                guard !file.contains("/"), !file.hasPrefix(".") else {
                    throw LoadError.malformed(path: indexPath, field: "weight_map", reason: "shard name '\(file)' must be a plain file name in the folder")
                }
                indexOfFile[file] = shards.count
                shards.append(try SafetensorsFile(path: (folder as NSString).appendingPathComponent(file)))
            }
            var shardOfTensor: [String: Int] = [:]
            for (tensor, file) in weightMap {
                guard let index = indexOfFile[file] else { continue }
                guard try shards[index].tensor(named: tensor) != nil else {
                    throw LoadError.missingTensor(path: shards[index].path, tensor: tensor)
                }
                shardOfTensor[tensor] = index
            }
            self.shards = shards
            self.shardOfTensor = shardOfTensor
        } else if fm.fileExists(atPath: singlePath) {
            let file = try SafetensorsFile(path: singlePath)
            shards = [file]
            shardOfTensor = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, 0) })
        } else {
            throw LoadError.cannotOpen(path: folder, reason: "no model.safetensors or model.safetensors.index.json in the folder")
        }
    }

    var tensorNames: [String] { shardOfTensor.keys.sorted() }

    func tensor(named name: String) throws -> HostTensor? {
        guard let index = shardOfTensor[name] else { return nil }
        return try shards[index].tensor(named: name)
    }
}
