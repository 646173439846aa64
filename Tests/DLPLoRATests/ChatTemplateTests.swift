// ChatTemplateTests.swift: the chat templates of the models the project uses (SmolLM2, Qwen2.5, Llama-3,
// Llama-2, Mistral) render exactly what transformers' Jinja renderer produced for the same conversations
// (scripts/make_chat_goldens.py); a conversation a template refuses and a broken template are clear errors.
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
        #expect(smol.endOfTurnTokens == ["<|im_end|>"])
        #expect(try ChatTemplate(source: try #require(golden.templates["llama3"]).source).endOfTurnTokens == ["<|eot_id|>"])
    }

    @Test func refusedConversationsAndBrokenTemplates() throws {
        let golden = try JSONDecoder().decode(ChatGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("chat/golden.json"))))
        let mistral = try ChatTemplate(source: try #require(golden.templates["mistral"]).source)
        // the template's own raise_exception, with its own words
        #expect(throws: ChatTemplateError.refused("Only user and assistant roles are supported!")) {
            try mistral.render([ChatMessage(role: "user", content: "x"), ChatMessage(role: "system", content: "y")], addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        }
        #expect(throws: ChatTemplateError.refused("Conversation roles must alternate user/assistant/user/assistant/...")) {
            try mistral.render([ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")], addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        }
        // any template renders now, not only the four forms once recognized
        let plain = try ChatTemplate(source: "{% for m in messages %}### {{ m.role }}: {{ m.content }}\n{% endfor %}")
        #expect(try plain.render([ChatMessage(role: "user", content: "hi")], addGenerationPrompt: false, bosToken: "", eosToken: "") == "### user: hi\n")
        // a broken template names its line
        do {
            _ = try ChatTemplate(source: "{% for m in messages %}\n{{ m.content }}\n{% endif %}")
            Issue.record("a mismatched end tag parsed")
        } catch let ChatTemplateError.invalidTemplate(error) {
            #expect(error.kind == .syntax && error.line == 3)
        }
        // the model has no template
        #expect(throws: ChatTemplateError.noTemplate) {
            let tokenizer = try TokenizerLoader.load(path: Fixtures.path("tokenizers/bytelevel.json"))
            _ = try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: "x")])
        }
    }
}
