// TemplateCommandTests.swift: `dlp-gpu template` prints exactly what transformers renders (a model's own
// template, and a .jinja file with tools and an extra variable); `generate --messages` prompts with the
// same ids as the library; bad conversation files and broken templates exit non-zero naming the file or
// the template line.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct TemplateCommandTests {
    func write(_ text: String, _ name: String) throws -> String {
        let path = (try Fixtures.temporaryDirectory() as NSString).appendingPathComponent(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func rendersTheModelsOwnTemplate() throws {
        let model = try #require(Fixtures.smollm2, "SmolLM2 is not in .cache (scripts/fetch-smollm2.sh)")
        let golden = try JSONDecoder().decode(ChatGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("chat/golden.json"))))
        let c = try #require(golden.cases.first { $0.template == "smollm2" && $0.messages.count == 3 && $0.add_generation_prompt })
        let messages = try write(String(decoding: try JSONEncoder().encode(c.messages), as: UTF8.self), "messages.json")
        let result = try runCommand(["template", "--model", model, "--messages", messages, "--add-generation-prompt"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == c.rendered)
    }

    @Test func rendersATemplateFileWithToolsAndVariables() throws {
        let root = try TemplateGoldenTests.goldens()
        guard case let .dict(conversations)? = root["conversations"], case let .list(cases)? = root["cases"],
              case let .dict(toolCall)? = conversations["tool_call"] else { Issue.record("malformed goldens"); return }
        let file = "Qwen-Qwen2.5-7B-Instruct.jinja"
        let wanted = try #require(cases.first {
            guard case let .dict(c) = $0 else { return false }
            return c["template"] == .string(file) && c["conversation"] == "tool_call"
        })
        guard case let .dict(golden) = wanted, case let .string(expected)? = golden["rendered"] else { Issue.record("no golden"); return }
        let options = JSONDumpOptions()
        let messages = try write(try JinjaValue.dict(toolCall).pythonJSON(options, line: 0), "conversation.json")    // {"messages", "tools"}
        let result = try runCommand(["template", "--template", TemplateGoldenTests.folder + "/" + file, "--messages", messages,
                                     "--add-generation-prompt", "--bos-token", "<s>", "--eos-token", "</s>"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected)
        // enable_thinking=false (a --var read as JSON) closes an empty think block after the generation prompt
        let user = try write(#"[{"role": "user", "content": "Hi"}]"#, "user.json")
        let thinking = try runCommand(["template", "--template", TemplateGoldenTests.folder + "/Qwen-Qwen3-0.6B.jinja", "--messages", user,
                                       "--add-generation-prompt", "--var", "enable_thinking=false"])
        #expect(thinking.status == 0, "\(thinking.stderr)")
        #expect(thinking.stdout.hasSuffix("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
    }

    @Test func generateFromAMessagesFile() throws {
        let model = try #require(Fixtures.smollm2, "SmolLM2 is not in .cache (scripts/fetch-smollm2.sh)")
        let messages = try write(#"[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is the capital of France?"}]"#, "m.json")
        let result = try runCommand(["generate", "--model", model, "--device", "cpu", "--messages", messages, "--max-tokens", "4", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tokenizer = try TokenizerLoader.load(path: model)
        let expected = try tokenizer.applyChatTemplate([ChatMessage(role: "system", content: "Answer briefly."),
                                                        ChatMessage(role: "user", content: "What is the capital of France?")])
        #expect((object["prompt_ids"] as? [Int])?.map(Int32.init) == expected)
        // the same prompt through --chat --system
        let chat = try runCommand(["generate", "--model", model, "--device", "cpu", "--chat", "--system", "Answer briefly.",
                                   "--prompt", "What is the capital of France?", "--max-tokens", "4", "--json"])
        let chatObject = try #require(try JSONSerialization.jsonObject(with: Data(chat.stdout.utf8)) as? [String: Any])
        #expect(chatObject["prompt_ids"] as? [Int] == object["prompt_ids"] as? [Int])
    }

    @Test func badConversationsAndTemplatesExitNonZero() throws {
        let notAList = try write(#"{"role": "user"}"#, "bad.json")
        let r1 = try runCommand(["template", "--template", Fixtures.path("chat/golden.json"), "--messages", notAList])
        #expect(r1.status != 0 && r1.stderr.contains("bad.json") && r1.stderr.contains("messages"), "\(r1.stderr)")
        let noRole = try write(#"[{"content": "x"}]"#, "norole.json")
        let broken = try write("line one\n{% if messages %}\n{{ messages[0].content }\n{% endif %}", "broken.jinja")
        let r2 = try runCommand(["template", "--template", broken, "--messages", try write(#"[{"role":"user","content":"x"}]"#, "ok.json")])
        #expect(r2.status != 0 && r2.stderr.contains("line 3"), "\(r2.stderr)")
        let r3 = try runCommand(["template", "--template", broken, "--messages", noRole])
        #expect(r3.status != 0 && r3.stderr.contains("norole.json") && r3.stderr.contains("role"), "\(r3.stderr)")
        let truncated = try write(#"[{"role": "user", "content": "x"}"#, "truncated.json")
        let r4 = try runCommand(["template", "--template", broken, "--messages", truncated])
        #expect(r4.status != 0 && r4.stderr.contains("truncated.json"), "\(r4.stderr)")
        let refusing = try write("{{ raise_exception('Only user and assistant roles are supported!') }}", "refuse.jinja")
        let r5 = try runCommand(["template", "--template", refusing, "--messages", try write(#"[{"role":"user","content":"x"}]"#, "ok2.json")])
        #expect(r5.status != 0 && r5.stderr.contains("Only user and assistant roles are supported!"), "\(r5.stderr)")
    }
}
