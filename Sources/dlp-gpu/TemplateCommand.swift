// TemplateCommand.swift: `dlp-gpu template`: renders a chat template (a .jinja file or a model's own)
// for a conversation file and prints the text exactly, so a template can be checked against
// transformers' apply_chat_template.
import ArgumentParser
import DLPLoRA
import Foundation

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Render a chat template for a conversation, as transformers' apply_chat_template does.")

    @Option(name: .long, help: "A Jinja chat template file.")
    var template: String?

    @Option(name: .long, help: "A model folder or GGUF file whose chat template (and BOS/EOS tokens) to use.")
    var model: String?

    @Option(name: .long, help: "A JSON file: a list of messages, or an object with \"messages\" (and \"tools\").")
    var messages: String

    @Option(name: .long, help: "A JSON file with a list of tool (function) definitions.")
    var tools: String?

    @Flag(name: .long, help: "End with the start of an assistant turn.")
    var addGenerationPrompt = false

    @Option(name: .long, help: "An extra template variable, name=value (value as JSON if it parses, else text); repeatable. E.g. enable_thinking=false.")
    var `var`: [String] = []

    @Option(name: .long, help: "bos_token (default: the model's, or empty with --template).")
    var bosToken: String?

    @Option(name: .long, help: "eos_token (default: the model's, or empty with --template).")
    var eosToken: String?

    @Flag(name: .long, help: "Render repeatedly for about 2 s and print microseconds per render instead of the text.")
    var bench = false

    func validate() throws {
        guard (template == nil) != (model == nil) else { throw ValidationError("give exactly one of --template and --model") }
    }

    func run() throws {
        let source: String
        var special = (bos: "", eos: "")
        if let template {
            do {
                source = try String(contentsOfFile: template, encoding: .utf8)
            } catch {
                throw ValidationError("\(template): cannot read the template (\(error.localizedDescription))")
            }
        } else {
            let tokenizer = try TokenizerLoader.load(path: model ?? "")
            guard let modelTemplate = tokenizer.chatTemplate else { throw ChatTemplateError.noTemplate }
            source = modelTemplate
            special = tokenizer.specialTokenTexts
        }
        let conversation = try ChatConversation(messagesPath: messages, toolsPath: tools)
        let variables = Dictionary(try `var`.map(ChatConversation.variable), uniquingKeysWith: { _, last in last })
        let chatTemplate = try ChatTemplate(source: source)
        func render() throws -> String {
            try chatTemplate.render(messages: conversation.messages, tools: conversation.tools, addGenerationPrompt: addGenerationPrompt,
                                    bosToken: bosToken ?? special.bos, eosToken: eosToken ?? special.eos, variables: variables)
        }
        let text = try render()
        guard bench else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        var renders = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed: UInt64 = 0
        while elapsed < 2_000_000_000 {
            for _ in 0..<50 { _ = try render() }
            renders += 50
            elapsed = DispatchTime.now().uptimeNanoseconds - start
        }
        print(String(format: "%.2f us per render (%d renders, %d bytes)", Double(elapsed) / 1e3 / Double(renders), renders, text.utf8.count))
    }
}
