// PublicAPITests.swift: uses only the public API (plain `import DLPLoRA`), the way README shows it:
// load a model on a backend, generate, stream, and score; render a chat template with tools.
import DLPLoRA
import Foundation
import Testing

@Suite struct PublicAPITests {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-llama").path

    @Test func loadGenerateStreamAndScore() async throws {
        let backend = try KernelBackend.make(device: .cpu, threads: 2)
        let loaded = try LoadedModel(path: Self.model, backend: backend)
        #expect(loaded.model.config.modelType == "llama")
        let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer, contextLength: 64)
        let request = GenerationRequest(promptIDs: [1, 17, 301], maxTokens: 6,
                                        sampling: SamplingParameters(temperature: 0.7, topP: 0.9, seed: 3))
        let results = try generator.generate([request])
        #expect(results[0].tokenIDs.count == 6)

        var finished: GenerationResult?
        for try await event in generator.stream(request) {
            if case let .finished(result) = event { finished = result }
        }
        #expect(finished?.tokenIDs == results[0].tokenIDs)

        let logprobs = try loaded.logProbabilities(ids: [1, 17, 301, 44])
        #expect(logprobs.count == 3 && logprobs.allSatisfy { $0 < 0 && $0.isFinite })
    }

    @Test func renderAChatTemplateWithTools() throws {
        let template = try ChatTemplate(source: """
        {%- if tools %}{{ 'Tools: ' + tools|map(attribute='function.name')|join(', ') + '\n' }}{% endif -%}
        {%- for m in messages %}<|{{ m.role }}|>{{ m.content if m.content is string else m.tool_calls[0].function.arguments|tojson }}
        {% endfor -%}
        {%- if add_generation_prompt %}<|assistant|>{% endif %}
        """)
        let conversation = try JinjaValue.parseJSON(#"""
        [{"role": "user", "content": "Weather in Paris?"},
         {"role": "assistant", "content": null, "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}]
        """#)
        guard case let .list(messages) = conversation else { Issue.record("not a list"); return }
        let tools: [JinjaValue] = [["type": "function", "function": ["name": "get_weather"]]]
        let text = try template.render(messages: messages, tools: tools, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        #expect(text == "Tools: get_weather\n<|user|>Weather in Paris?\n<|assistant|>{\"city\": \"Paris\"}\n<|assistant|>")
        #expect(throws: ChatTemplateError.refused("no")) {
            try ChatTemplate(source: "{{ raise_exception('no') }}").render([ChatMessage(role: "user", content: "x")], addGenerationPrompt: false, bosToken: "", eosToken: "")
        }
    }
}
