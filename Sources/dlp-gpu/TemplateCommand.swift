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
        let text = try ChatTemplate(source: source).render(
            messages: conversation.messages, tools: conversation.tools, addGenerationPrompt: addGenerationPrompt,
            bosToken: bosToken ?? special.bos, eosToken: eosToken ?? special.eos, variables: variables)
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
