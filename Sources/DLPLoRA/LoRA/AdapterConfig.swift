// AdapterConfig.swift: a PEFT adapter_config.json and PEFT's rules for it: which modules it targets
// (a list matched by suffix, a regex matched in full, or "all-linear"), layers_to_transform, and the
// rank and alpha of each module (rank_pattern / alpha_pattern, rsLoRA). Fields that would change the
// computation in ways we do not implement are refused by name; unknown fields are errors.
import Foundation

/// The LoRA settings of one PEFT adapter.
public struct AdapterConfig: Sendable, Equatable {
    public enum Targets: Sendable, Equatable {
        case list([String])
        case regex(String)
        case allLinear
    }

    public var rank: Int
    public var alpha: Double
    public var targets: Targets?
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    public var useRSLoRA: Bool
    public var layersToTransform: [Int]?
    public var layersPattern: [String]
    /// base_model_name_or_path: the model the adapter was trained on (bookkeeping, compared by name only).
    public var baseModel: String? = nil

    /// Fields that do not change inference (training settings, bookkeeping).
    static let inertFields: Set<String> = [
        "auto_mapping", "base_model_name_or_path", "inference_mode", "init_lora_weights", "lora_dropout",
        "loftq_config", "megatron_config", "megatron_core", "revision", "task_type", "runtime_config",
        "eva_config", "corda_config", "peft_version",
    ]
    /// Fields we interpret (and check).
    static let interpretedFields: Set<String> = [
        "peft_type", "r", "lora_alpha", "target_modules", "rank_pattern", "alpha_pattern", "use_rslora",
        "layers_to_transform", "layers_pattern", "bias", "modules_to_save", "fan_in_fan_out", "use_dora",
        "layer_replication", "lora_bias", "exclude_modules", "trainable_token_indices", "target_parameters",
        "use_qalora",
    ]

    /// Reads and checks adapter_config.json.
    static func load(path: String) throws -> AdapterConfig {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError.cannotOpen(path: path, reason: error.localizedDescription)
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LoadError.malformed(path: path, field: "adapter_config.json", reason: "not a JSON object")
        }
        return try parse(json, path: path)
    }

    static func parse(_ json: [String: Any], path: String) throws -> AdapterConfig {
        for key in json.keys.sorted() where !inertFields.contains(key) && !interpretedFields.contains(key) {
            throw LoadError.unsupported(path: path, field: key, value: "\(json[key] ?? "")",
                                        supported: "the LoRA fields of PEFT 0.13; this field is unknown, so its effect cannot be honoured")
        }
        func refuse(_ field: String, unless ok: Bool, _ why: String) throws {
            guard ok else {
                throw LoadError.unsupported(path: path, field: field, value: "\(json[field] ?? "")", supported: why)
            }
        }
        func isNullOrEmpty(_ value: Any?) -> Bool {
            switch value {
            case nil, is NSNull: return true
            case let list as [Any]: return list.isEmpty
            case let dict as [String: Any]: return dict.isEmpty
            default: return false
            }
        }
        let peftType = json["peft_type"] as? String ?? "LORA"
        try refuse("peft_type", unless: peftType == "LORA", "LORA")
        try refuse("use_dora", unless: (json["use_dora"] as? Bool ?? false) == false,
                   "false (DoRA rescales the weight by a learned magnitude; merge it with PEFT first)")
        try refuse("bias", unless: (json["bias"] as? String ?? "none") == "none",
                   "none (this adapter also trains the base model's biases, which are not applied)")
        try refuse("modules_to_save", unless: isNullOrEmpty(json["modules_to_save"]),
                   "null (modules_to_save replaces whole base modules)")
        try refuse("fan_in_fan_out", unless: (json["fan_in_fan_out"] as? Bool ?? false) == false,
                   "false (only for GPT-2 Conv1D layers, which these families do not have)")
        try refuse("layer_replication", unless: isNullOrEmpty(json["layer_replication"]), "null")
        try refuse("lora_bias", unless: (json["lora_bias"] as? Bool ?? false) == false, "false (a bias on lora_B)")
        try refuse("exclude_modules", unless: isNullOrEmpty(json["exclude_modules"]), "null")
        try refuse("trainable_token_indices", unless: isNullOrEmpty(json["trainable_token_indices"]), "null (embedding token training)")
        try refuse("target_parameters", unless: isNullOrEmpty(json["target_parameters"]), "null")
        try refuse("use_qalora", unless: (json["use_qalora"] as? Bool ?? false) == false, "false")

        guard let rank = json["r"] as? Int, rank > 0 else {
            throw LoadError.invalidConfig(path: path, field: "r", reason: "must be a positive integer")
        }
        guard let alpha = (json["lora_alpha"] as? NSNumber)?.doubleValue, alpha.isFinite else {
            throw LoadError.invalidConfig(path: path, field: "lora_alpha", reason: "must be a finite number")
        }
        var targets: Targets?
        switch json["target_modules"] {
        case let list as [String]: targets = .list(list)
        case let text as String: targets = text == "all-linear" ? .allLinear : .regex(text)
        case nil, is NSNull: targets = nil
        default: throw LoadError.invalidConfig(path: path, field: "target_modules", reason: "expected a list of names, a regex string or \"all-linear\"")
        }
        var rankPattern: [String: Int] = [:]
        for (key, value) in json["rank_pattern"] as? [String: Any] ?? [:] {
            guard let r = value as? Int, r > 0 else { throw LoadError.invalidConfig(path: path, field: "rank_pattern.\(key)", reason: "must be a positive integer") }
            rankPattern[key] = r
        }
        var alphaPattern: [String: Double] = [:]
        for (key, value) in json["alpha_pattern"] as? [String: Any] ?? [:] {
            guard let a = (value as? NSNumber)?.doubleValue, a.isFinite else {
                throw LoadError.invalidConfig(path: path, field: "alpha_pattern.\(key)", reason: "must be a finite number")
            }
            alphaPattern[key] = a
        }
        // every pattern must compile: a broken one would otherwise match nothing and silently change scales
        for (field, keys) in [("rank_pattern", Array(rankPattern.keys)), ("alpha_pattern", Array(alphaPattern.keys))] {
            for key in keys where (try? NSRegularExpression(pattern: ".*\\.\(key)")) == nil {
                throw LoadError.invalidConfig(path: path, field: "\(field).\(key)", reason: "not a valid regular expression")
            }
        }
        if case let .regex(pattern)? = targets, (try? NSRegularExpression(pattern: pattern)) == nil {
            throw LoadError.invalidConfig(path: path, field: "target_modules", reason: "'\(pattern)' is not a valid regular expression")
        }
        var layers: [Int]?
        switch json["layers_to_transform"] {
        case let one as Int: layers = [one]
        case let list as [Int]: layers = list
        case nil, is NSNull: layers = nil
        default: throw LoadError.invalidConfig(path: path, field: "layers_to_transform", reason: "expected an integer or a list of integers")
        }
        var layersPattern = ["layers", "h", "block", "blocks", "layer"]
        if let one = json["layers_pattern"] as? String { layersPattern = [one] } else if let list = json["layers_pattern"] as? [String], !list.isEmpty { layersPattern = list }
        return AdapterConfig(rank: rank, alpha: alpha, targets: targets, rankPattern: rankPattern, alphaPattern: alphaPattern,
                             useRSLoRA: json["use_rslora"] as? Bool ?? false, layersToTransform: layers, layersPattern: layersPattern,
                             baseModel: json["base_model_name_or_path"] as? String)
    }

    /// Whether PEFT would put a LoRA on `module` (e.g. "model.layers.3.self_attn.q_proj") in layer `layer`.
    func targets(module: String, layer: Int, path: String) throws -> Bool {
        let matched: Bool
        switch targets {
        case nil: matched = true                       // PEFT's per-family default: the file's tensors decide
        case .allLinear: matched = true                // every Linear but the output layer
        case let .regex(pattern):
            guard let full = Self.fullMatch(pattern, module) else { throw Self.tooSlow("target_modules", pattern, path) }
            matched = full
        case let .list(names): matched = names.contains { module == $0 || module.hasSuffix("." + $0) }
        }
        guard matched else { return false }
        if let layers = layersToTransform, case .list = targets { return layers.contains(layer) }
        if let layers = layersToTransform, targets == nil { return layers.contains(layer) }
        return true
    }

    /// (rank, alpha, scale) of `module` under rank_pattern/alpha_pattern (PEFT: the pattern key k whose
    /// regex `.*\.k$` matches the module name). Two matching keys are an error, not a guess.
    func rankAndScale(module: String, path: String) throws -> (rank: Int, scale: Float) {
        let r = try Self.patternValue(rankPattern, module: module, field: "rank_pattern", path: path) ?? rank
        let a = try Self.patternValue(alphaPattern, module: module, field: "alpha_pattern", path: path) ?? alpha
        let scale = useRSLoRA ? a / Double(r).squareRoot() : a / Double(r)
        guard abs(scale) <= Self.maximumScale else {
            throw LoadError.invalidConfig(path: path, field: alphaPattern.isEmpty ? "lora_alpha" : "lora_alpha/alpha_pattern",
                                          reason: "gives \(module) the scale \(scale); at most \(Self.maximumScale) in size is accepted")
        }
        return (r, Float(scale))
    }

    private static func patternValue<V>(_ pattern: [String: V], module: String, field: String, path: String) throws -> V? {
        let keys = try pattern.keys.filter { key in
            guard let full = fullMatch(".*\\.\(key)", module) else { throw tooSlow("\(field).\(key)", key, path) }
            return full
        }.sorted()
        guard keys.count <= 1 else {
            throw LoadError.invalidConfig(path: path, field: field, reason: "keys \(keys) all match \(module); PEFT would pick by file order, which is ambiguous")
        }
        return keys.first.flatMap { pattern[$0] }
    }

    /// The largest |alpha / r| accepted: real adapters use about 0.5 to 64; beyond this the output is noise.
    static let maximumScale = 1e4

    static func tooSlow(_ field: String, _ pattern: String, _ path: String) -> LoadError {
        LoadError.invalidConfig(path: path, field: field, reason: "the regular expression '\(pattern)' ran past its time budget on a module name (it backtracks catastrophically)")
    }

    /// Whether `pattern` matches all of `text` (PEFT's re.fullmatch); nil when the pattern runs past
    /// its time budget (it backtracks catastrophically).
    static func fullMatch(_ pattern: String, _ text: String) -> Bool? {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        guard let matches = regex.boundedMatches(in: text) else { return nil }
        return !matches.isEmpty
    }
}
