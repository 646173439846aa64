// TemplateGoldenTests.swift: every real chat template llama.cpp tests with (70 files from the
// llama-cpp-python sdist, fetched into .cache/chat-templates by scripts/fetch-chat-templates.sh) renders
// byte for byte what transformers' Jinja2 environment rendered for the same conversations, or fails with
// the same kind of error (Tests/Fixtures/chat/template-goldens.json, scripts/make_template_goldens.py).
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct TemplateGoldenTests {
    static let folder = ProcessInfo.processInfo.environment["DLP_CHAT_TEMPLATES"] ?? (Fixtures.repository + "/.cache/chat-templates")

    static func goldens() throws -> JinjaDict {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("chat/template-goldens.json")))
        guard case let .dict(root) = try JinjaValue.parseJSON(data) else { throw JinjaJSONError(offset: 0, reason: "not an object") }
        return root
    }

    /// Errors are compared by kind: Jinja2's syntax, undefined, security and raise_exception errors have
    /// their own kinds here; any other Python exception ("error") may be any kind but those.
    static func matches(_ error: Error, kind: String, message: String) -> Bool {
        switch (error, kind) {
        case (ChatTemplateError.invalidTemplate(let e), "syntax"): return e.kind == .syntax
        case (ChatTemplateError.refused(let m), "raised"): return m == message
        case (ChatTemplateError.renderFailed(let e), "undefined"): return e.kind == .undefined
        case (ChatTemplateError.renderFailed(let e), "security"): return e.kind == .security
        case (ChatTemplateError.renderFailed(let e), "error"): return [.type, .unsupported].contains(e.kind)
        default: return false
        }
    }

    @Test func everyTemplateRendersAsTransformersRendersIt() throws {
        var isDirectory: ObjCBool = false
        try #require(FileManager.default.fileExists(atPath: Self.folder, isDirectory: &isDirectory) && isDirectory.boolValue,
                     "the chat templates are not in \(Self.folder): run scripts/fetch-chat-templates.sh (make test does)")
        let root = try Self.goldens()
        guard case let .dict(conversations)? = root["conversations"], case let .list(cases)? = root["cases"],
              case let .dict(templates)? = root["templates"] else { Issue.record("malformed goldens"); return }
        #expect(templates.count >= 70)
        var options = JinjaRenderOptions()
        options.now = Date(timeIntervalSince1970: 1796061909)      // 2026-11-30T18:05:09Z, the goldens' strftime_now
        var parsed: [String: Result<ChatTemplate, Error>] = [:]
        var matched = 0, refused = 0
        for case let .dict(c) in cases {
            guard case let .string(file)? = c["template"] else { continue }
            if parsed[file] == nil {
                let source = try String(contentsOfFile: Self.folder + "/" + file, encoding: .utf8)
                parsed[file] = Result { try ChatTemplate(source: source) }
            }
            let expectedError = c["error"].map(\.pythonString)
            let message = c["message"]?.pythonString ?? ""
            let template: ChatTemplate
            switch parsed[file]! {
            case let .success(t): template = t
            case let .failure(error):
                #expect(expectedError != nil && c["conversation"] == JinjaValue.none && Self.matches(error, kind: expectedError ?? "", message: message),
                        "\(file): \(error) (transformers: \(expectedError ?? "parsed")) \(message)")
                continue
            }
            guard case let .string(name)? = c["conversation"], case let .dict(conversation)? = conversations[.string(name)],
                  case let .list(messages)? = conversation["messages"] else { Issue.record("\(file): malformed case"); continue }
            var tools: [JinjaValue]? = nil
            if case let .list(t)? = conversation["tools"] { tools = t }
            var variables: [String: JinjaValue] = [:]
            if case let .dict(extra)? = c["variables"] { for (k, v) in extra.pairs { variables[k.pythonString] = v } }
            let generation = c["add_generation_prompt"]?.isTruthy ?? false
            let label = "\(file) \(name) gen=\(generation) \(variables.keys.sorted())"
            do {
                let text = try template.render(messages: messages, tools: tools, addGenerationPrompt: generation,
                                               bosToken: "<s>", eosToken: "</s>", variables: variables, options: options)
                guard expectedError == nil else {
                    Issue.record("\(label): rendered, but transformers raised \(expectedError!): \(message)")
                    continue
                }
                let expected = c["rendered"]?.pythonString ?? ""
                if text.unicodeScalars.elementsEqual(expected.unicodeScalars) {
                    matched += 1
                } else {
                    let common = zip(text.unicodeScalars, expected.unicodeScalars).prefix { $0 == $1 }.count
                    let from = max(0, common - 40)
                    Issue.record("\(label): differs at scalar \(common)\n  expected: \(String(String.UnicodeScalarView(expected.unicodeScalars.dropFirst(from).prefix(120))).debugDescription)\n  actual:   \(String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(from).prefix(120))).debugDescription)")
                }
            } catch {
                #expect(expectedError != nil && Self.matches(error, kind: expectedError ?? "", message: message),
                        "\(label): \(error) (transformers: \(expectedError.map { "\($0): \(message)" } ?? "rendered"))")
                refused += 1
            }
        }
        let expectedRendered = cases.filter { if case let .dict(c) = $0 { return c["rendered"] != nil } else { return false } }.count
        #expect(expectedRendered >= 600 && matched == expectedRendered, "\(matched) of \(expectedRendered) rendered equal, \(refused) refused")
    }

    /// A typical template, a 10-message conversation: rendering stays well under a millisecond.
    @Test func renderingIsFast() throws {
        let source = try String(contentsOfFile: Self.folder + "/Qwen-Qwen2.5-7B-Instruct.jinja", encoding: .utf8)
        let template = try ChatTemplate(source: source)
        let messages: [JinjaValue] = [["role": "system", "content": "You are helpful."]] + (0..<9).map { i in
            ["role": i % 2 == 0 ? "user" : "assistant", "content": .string("Message number \(i) with a few words of text in it.")]
        }
        _ = try template.render(messages: messages, addGenerationPrompt: true, bosToken: "", eosToken: "")
        let repeats = 200
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { _ = try template.render(messages: messages, addGenerationPrompt: true, bosToken: "", eosToken: "") }
        let perRender = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(repeats) / 1e6
        print("chat template render, 10 messages: \(String(format: "%.3f", perRender)) ms")
        #expect(perRender < 1.0)
    }
}
