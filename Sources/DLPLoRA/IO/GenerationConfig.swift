// GenerationConfig.swift: generation_config.json (EOS ids and default sampling settings of a model).
import Foundation

/// The fields of generation_config.json used as defaults for generation.
public struct GenerationConfig: Codable, Sendable, Equatable {
    public var bosTokenId: TokenIDList?
    public var eosTokenId: TokenIDList?
    public var temperature: Double?
    public var topK: Int?
    public var topP: Double?
    public var repetitionPenalty: Double?
    public var doSample: Bool?

    enum CodingKeys: String, CodingKey {
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", temperature
        case topK = "top_k", topP = "top_p", repetitionPenalty = "repetition_penalty", doSample = "do_sample"
    }

    public init() {}

    /// Checks the token ids against the model's vocabulary.
    func validate(path: String, vocabularySize: Int) throws {
        for (ids, field) in [(bosTokenId, "bos_token_id"), (eosTokenId, "eos_token_id")] {
            if let bad = ids?.ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw LoadError.invalidConfig(path: path, field: field, reason: "id \(bad) is outside the vocabulary (0..<\(vocabularySize))")
            }
        }
    }

    /// Reads generation_config.json; a missing file is nil, a malformed one an error.
    static func load(path: String) throws -> GenerationConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(GenerationConfig.self, from: data)
        } catch {
            throw LoadError.malformed(path: path, field: "generation config", reason: "\(error)")
        }
    }
}
