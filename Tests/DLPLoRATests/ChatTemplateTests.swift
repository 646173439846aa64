// ChatTemplateTests.swift: the supported chat-template forms render exactly what transformers' Jinja
// renderer produced for the same conversations (scripts/make_chat_goldens.py), and other templates or
// conversations the template rejects are clear errors.
import Foundation
import Testing
@testable import DLPLoRA

struct ChatGolden: Decodable {
    struct Template: Decodable { let source: String; let bos_token: String; let eos_token: String }
    struct Case: Decodable { let template: String; let messages: [ChatMessage]; let add_generation_prompt: Bool; let rendered: String }
    let templates: [String: Template]
    let cases: [Case]
}

@Suite struct ChatTemplateTests {
    @Test func rendersLikeTransformers() throws {
        let golden = try JSONDecoder().decode(ChatGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("chat/golden.json"))))
        #expect(golden.cases.count >= 20)
        for c in golden.cases {
            let t = try #require(golden.templates[c.template])
            let template = try ChatTemplate(source: t.source)
            let rendered = try template.render(c.messages, addGenerationPrompt: c.add_generation_prompt, bosToken: t.bos_token, eosToken: t.eos_token)
            #expect(rendered == c.rendered, "\(c.template) \(c.messages.map(\.role)) gen=\(c.add_generation_prompt)")
        }
        let smol = try ChatTemplate(source: try #require(golden.templates["smollm2"]).source)
        #expect(smol.form == .chatML(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
    }

    @Test func unsupportedTemplatesAndConversations() throws {
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(source: "{% for m in messages %}### {{ m.role }}: {{ m.content }}{% endfor %}") }
        let mistral = try ChatTemplate(source: "{{ bos_token }}{% for message in messages %}[INST] {% endfor %}")
        #expect(throws: ChatTemplateError.self) {
            try mistral.render([ChatMessage(role: "system", content: "x"), ChatMessage(role: "user", content: "y")], addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        }
        #expect(throws: ChatTemplateError.self) {
            try mistral.render([ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")], addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        }
    }
}
