// RoutingData.swift: labelled texts for training and evaluating a router: folders of per-task JSON lists
// of {"Q", "A"} (the DLP-LoRA paper's format; the class is the file name, or the folder name for a
// folder of files) or JSONL files of {"text", "label"}; and the stratified split into train and held out.
import Foundation

/// One labelled text.
public struct RoutingExample: Sendable, Equatable {
    public let text: String
    public let label: Int
}

/// Texts labelled with adapter names.
public struct RoutingDataset: Sendable {
    /// Class names, sorted (the router's adapter order).
    public let labels: [String]
    public let examples: [RoutingExample]

    public init(labels: [String], examples: [RoutingExample]) {
        self.labels = labels
        self.examples = examples
    }

    /// Reads every path; `maxPerLabel` keeps the first N texts of each class.
    public static func load(paths: [String], maxPerLabel: Int? = nil) throws -> RoutingDataset {
        var byLabel: [String: [String]] = [:]
        for path in paths {
            for (label, text) in try readPath(path) { byLabel[label, default: []].append(text) }
        }
        guard byLabel.count >= 2 else {
            throw LoadError.invalidConfig(path: paths.joined(separator: ", "), field: "labels",
                                          reason: "found \(byLabel.count) class(es) \(byLabel.keys.sorted()); a router needs at least two")
        }
        let labels = byLabel.keys.sorted()
        var examples: [RoutingExample] = []
        for (index, label) in labels.enumerated() {
            let texts = byLabel[label] ?? []
            examples += texts.prefix(max(0, maxPerLabel ?? texts.count)).map { RoutingExample(text: $0, label: index) }
        }
        return RoutingDataset(labels: labels, examples: examples)
    }

    private static func readPath(_ path: String) throws -> [(String, String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError.cannotOpen(path: path, reason: "no such file or folder")
        }
        if !isDirectory.boolValue {
            if path.hasSuffix(".jsonl") { return try readJSONL(path) }
            let label = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            return try readQA(path).map { (label, $0) }
        }
        var out: [(String, String)] = []
        for entry in try FileManager.default.contentsOfDirectory(atPath: path).sorted() where !entry.hasPrefix(".") {
            let full = (path as NSString).appendingPathComponent(entry)
            var sub: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &sub)
            if sub.boolValue {
                // a folder per class holding JSON lists
                for file in try FileManager.default.contentsOfDirectory(atPath: full).sorted() where file.hasSuffix(".json") {
                    out += try readQA((full as NSString).appendingPathComponent(file)).map { (entry, $0) }
                }
            } else if entry.hasSuffix(".jsonl") {
                out += try readJSONL(full)
            } else if entry.hasSuffix(".json") {
                out += try readQA(full).map { ((entry as NSString).deletingPathExtension, $0) }
            }
        }
        return out
    }

    private static func readQA(_ path: String) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw LoadError.cannotOpen(path: path, reason: error.localizedDescription) }
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw LoadError.malformed(path: path, field: "examples", reason: "expected a JSON list of {\"Q\": ..., \"A\": ...}")
        }
        return try list.enumerated().map { i, item in
            guard let q = item["Q"] as? String, !q.isEmpty else { throw LoadError.malformed(path: path, field: "[\(i)].Q", reason: "missing or empty") }
            return q
        }
    }

    private static func readJSONL(_ path: String) throws -> [(String, String)] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw LoadError.cannotOpen(path: path, reason: error.localizedDescription) }
        var out: [(String, String)] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let item = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let text = item["text"] as? String, let label = item["label"] as? String else {
                throw LoadError.malformed(path: path, field: "line \(i + 1)", reason: "expected {\"text\": ..., \"label\": ...}")
            }
            out.append((label, text))
        }
        return out
    }

    /// A stratified split: `fraction` of each class (shuffled with `seed`) goes to the second set.
    public func split(heldOut fraction: Double, seed: UInt64) -> (train: RoutingDataset, heldOut: RoutingDataset) {
        var generator = SeededGenerator(seed: seed)
        let fraction = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        var train: [RoutingExample] = [], held: [RoutingExample] = []
        for label in labels.indices {
            var items = examples.filter { $0.label == label }
            items.shuffle(using: &generator)
            let count = Int((Double(items.count) * fraction).rounded())
            held += items.prefix(count)
            train += items.dropFirst(count)
        }
        return (RoutingDataset(labels: labels, examples: train), RoutingDataset(labels: labels, examples: held))
    }
}
