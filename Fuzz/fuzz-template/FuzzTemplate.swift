// FuzzTemplate.swift: libFuzzer target for chat templates: arbitrary bytes as template text, parsed and
// rendered (tools, a tool call, extra variables) within small bounds. Anything but a clean return or a
// thrown error (a trap, a hang, a leak, memory past the bound) is a finding. `make fuzz` runs it.
import DLPLoRA
import FuzzDriver
import Foundation

private let messages: [JinjaValue] = {
    let json = #"[{"role":"system","content":"Be brief."},{"role":"user","content":"What's the weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},{"role":"tool","tool_call_id":"call_1","content":"22 C"},{"role":"assistant","content":"It is 22 C."}]"#
    guard case let .list(items)? = try? JinjaValue.parseJSON(json) else { return [] }
    return items
}()
private let tools: [JinjaValue] = [["type": "function", "function": ["name": "get_weather", "description": "Weather of a city.",
                                    "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]]]]

func fuzzTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var options = JinjaRenderOptions()
    options.now = Date(timeIntervalSince1970: 1_796_061_909)
    options.maxIterations = 20_000
    options.maxOutputBytes = 1 << 18
    guard let template = try? ChatTemplate(source: source) else { return 0 }
    _ = try? template.render(messages: messages, tools: tools, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                             variables: ["enable_thinking": false], options: options)
    return 0
}

@main
enum FuzzTemplateMain {
    static func main() { runLibFuzzer { data, size in fuzzTemplate(data, size) } }
}
