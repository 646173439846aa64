// FuzzJSON.swift: libFuzzer target for the JSON a conversation file or request brings: arbitrary bytes
// through JinjaValue.parseJSON, then the value printed back (repr and tojson with an indent), as a
// template would. Anything but a clean return or a thrown error is a finding. `make fuzz` runs it.
import DLPLoRA
import FuzzDriver
import Foundation

private let echo = try? JinjaTemplate("{{ value }}{{ value|tojson(indent=1, sort_keys=true) }}{{ value|length if value is iterable }}")

func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let value = try? JinjaValue.parseJSON(Data(bytes: data, count: size)) else { return 0 }
    var options = JinjaRenderOptions()
    options.maxOutputBytes = 1 << 20
    _ = try? echo?.render(["value": value], options: options)
    return 0
}

@main
enum FuzzJSONMain {
    static func main() { runLibFuzzer { data, size in fuzzJSON(data, size) } }
}
