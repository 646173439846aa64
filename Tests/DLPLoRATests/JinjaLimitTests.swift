// JinjaLimitTests.swift: a template cannot loop forever, allocate without bound, recurse past the stack
// or build values that hold themselves: each such template ends with a .limit error naming its line.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct JinjaLimitTests {
    func expectLimit(_ source: String, _ variables: [String: JinjaValue] = [:], options: JinjaRenderOptions = JinjaRenderOptions(),
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let text = try JinjaTemplate(source).render(variables, options: options)
            Issue.record("rendered \(text.utf8.count) bytes instead of stopping", sourceLocation: sourceLocation)
        } catch let error as JinjaError {
            #expect(error.kind == .limit, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func loopsAndRangesAreBounded() {
        expectLimit("{% for i in range(10**7) %}{% endfor %}")
        expectLimit("{% for i in range(2000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}")
        expectLimit("{{ 'x' * 10**9 }}")
        expectLimit("{{ [1] * 10**9 }}")
        expectLimit("{{ 2 ** 100 }}")
        expectLimit("{{ 9223372036854775807 + 1 }}")
        var small = JinjaRenderOptions()
        small.maxIterations = 1000
        expectLimit("{% for i in range(600) %}{% for c in 'ab' %}{% endfor %}{% endfor %}", options: small)
    }

    @Test func outputIsBounded() {
        var options = JinjaRenderOptions()
        options.maxOutputBytes = 1 << 20
        expectLimit("{% for i in range(100000) %}{{ 'some text ' * 2 }}{% endfor %}", options: options)
        // macro output counts too, before it is printed
        expectLimit("{% macro m() %}{% for i in range(100000) %}xxxxxxxxxxxxxxxx{% endfor %}{% endmacro %}{% set s = m() %}", options: options)
    }

    @Test func recursionIsBounded() {
        expectLimit("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        // deeply nested source: parentheses, lists, unary operators, blocks
        expectLimit("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}")
        expectLimit("{{ " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + " }}")
        expectLimit("{{ " + String(repeating: "not ", count: 5000) + "1 }}")
        expectLimit("{{ " + String(repeating: "-", count: 5000) + "1 }}")
        expectLimit(String(repeating: "{% if true %}", count: 5000) + String(repeating: "{% endif %}", count: 5000))
    }

    @Test func valuesCannotNestWithoutBoundOrHoldThemselves() {
        expectLimit("{% set ns = namespace(x=none) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}")
        expectLimit("{% set ns = namespace(x={}) %}{% for i in range(100000) %}{% set ns.x = dict(a=ns.x) %}{% endfor %}{{ ns.x|tojson }}")
        expectLimit("{% set ns = namespace(x=[1]) %}{% for i in range(100000) %}{% set ns.x = ns.x|batch(1)|list %}{% endfor %}")
        expectLimit("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}")
        expectLimit("{% set a = namespace() %}{% set b = namespace(a=a) %}{% set a.b = [b] %}{{ a|string }}")
        // a quadratic accumulation runs into the work bound instead of hanging
        var options = JinjaRenderOptions()
        options.maxIterations = 100_000
        expectLimit("{% set ns = namespace(acc=[]) %}{% for i in range(5000) %}{% set ns.acc = ns.acc + [i] %}{% endfor %}", options: options)
    }

    /// Templates a review found to trap, exhaust memory, recurse past the stack or hang: each now ends
    /// with a JinjaError.
    @Test func formerCrashesEndInAnError() throws {
        let cases = [
            "{{ '%d' % 1e19 }}", "{{ '%d'|format(1e308*10) }}",
            "{{ range(-9223372036854775807, 9223372036854775807)|length }}",
            "{{ 'ab'|center(-9223372036854775807) }}{{ 'a'|center(10**18) }}", "{{ [1]|batch(10**18, 0)|list }}",
            "{{ 'a'|indent(10**18) }}", "{{ ('a\n' * 500000)|indent(100) }}", "{{ [1]|tojson(indent=10**18) }}",
            "{{ '{:.3000000000f}'.format(1.0) }}", "{{ '{:1000000000}'.format(1) }}",
            "{{ range(2)|length }}{{ range(9223372036854775807)|length }}",
            "{% for i in range(2) %}{% endfor %}{{ 'a' * 9223372036854775807 }}", "{{ 'a'.ljust(9223372036854775807) }}",
            "{{ 1" + String(repeating: " + 1", count: 5_000) + " }}", "{{ x" + String(repeating: ".a", count: 5_000) + " }}",
            "{% if false %}{{ 1" + String(repeating: " + 1", count: 5_000) + " }}{% endif %}", "{{ 1" + String(repeating: " + 1", count: 5_000) + " + }}",
            "{{ x" + String(repeating: "|trim", count: 5_000) + " }}", "{{ x" + String(repeating: "()", count: 5_000) + " }}",
            "{% macro f(k) %}{% if k > 0 %}" + String(repeating: "{% for i in [1] %}", count: 185) + "{{ f(k-1) }}"
                + String(repeating: "{% endfor %}", count: 185) + "{% endif %}{% endmacro %}{{ f(99) }}",
            "{% macro f(x=f()) %}{% endmacro %}{{ f() }}",
            "{{ 'a'|map(" + Array(repeating: "'map'", count: 10_000).joined(separator: ",") + ")|list }}",
            "{% set s = 'x' * 1000 %}" + String(repeating: "{% set s = s ~ s %}", count: 25) + "{{ s|length }}",
            "{% set s = 'x' * 1000 %}" + String(repeating: "{% set s = s + s %}", count: 25) + "{{ s|length }}",
            "{% set l = [1] %}" + String(repeating: "{% set l = l + l %}", count: 40) + "{{ l|length }}",
            "{{ ('a' * 60000).replace('', 'b' * 60000) }}", "{{ 'a'.ljust(900000, 'xy') }}",
            "{% set a = [0] * 1000 %}{% set b = [a] * 1000 %}{% set c = [b] * 1000 %}{{ c }}",
            "{% set s = 'x' * 900000 %}{% set l = [s] * 900000 %}{{ l }}",
            "{% set s = 'x' * 900000 %}{% set l = [s] * 900000 %}{{ l|join }}",
            "{% set s = 'x' * 900000 %}{% set l = [s] * 900000 %}{{ l|tojson }}",
        ]
        for source in cases {
            do {
                _ = try JinjaTemplate(source).render(["x": "a"])
                Issue.record("rendered: \(source.prefix(120))")
            } catch is JinjaError {
            } catch {
                Issue.record("\(error): \(source.prefix(120))")
            }
        }
        // big but bounded work still renders, and ranges at the ends of Int are exact
        #expect(try JinjaTemplate("{{ range(0, -1, -9223372036854775807 - 1)|list }} {{ range(9223372036854775806, 9223372036854775807, 10)|list }}").render([:])
                == "[0] [9223372036854775806]")
        #expect(try JinjaTemplate("{{ ('ab' * 40000).count('ab') }} {{ ('a' * 10000).rfind('a') }}").render([:]) == "40000 9999")
        #expect(try JinjaTemplate("{% set a = [0] * 1000 %}{{ ([a] * 900)|length }} {{ ([a] * 900 == [a] * 900) }}").render([:]) == "900 True")
    }

    @Test func ordinaryTemplatesStayWellInsideTheBounds() throws {
        // nesting that real templates use, a recursive macro over a JSON schema, an accumulator
        let schema = try JinjaValue.parseJSON(#"{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"array","items":{"type":"string"}}}}}}"#)
        let source = """
        {%- macro render(s, depth) -%}
        {%- if s.type == 'object' -%}{ {% for k, v in s.properties.items() %}{{ k }}: {{ render(v, depth + 1) }}{% if not loop.last %}, {% endif %}{% endfor %} }
        {%- elif s.type == 'array' -%}{{ render(s['items'], depth + 1) }}[]
        {%- else -%}{{ s.type }}{%- endif -%}
        {%- endmacro -%}
        {%- set ns = namespace(names=[]) -%}
        {%- for i in range(50) %}{% set ns.names = ns.names + ['n' ~ i] %}{% endfor -%}
        {{ render(schema, 0) }} {{ ns.names|length }} {{ ((((1 + 2) * 3) - 4) // 5) }}
        """
        #expect(try JinjaTemplate(source).render(["schema": schema]) == "{ a: { b: string[] } } 50 1")
    }
}

/// Mutated real templates (bytes deleted, duplicated, swapped, replaced by Jinja syntax) parse and render
/// to text or to a JinjaError: never a crash, a hang or another error type.
@Suite struct JinjaMutationTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments = ["{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", "\"", "|", ".", ",",
                            " if ", " else ", " for x in ", " endfor ", " endif ", " set ", " macro ", " is ", " not ", " in ",
                            "loop", "ns", "messages", "tools", "**", "//", "%", "~", "\\", "\n", "raw", "endraw", "9" + String(repeating: "9", count: 30)]

    @Test func mutatedTemplatesFailCleanly() throws {
        let folder = TemplateGoldenTests.folder
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jinja") }.sorted()
        try #require(files.count >= 70, "run scripts/fetch-chat-templates.sh")
        let sources = try files.map { Array(try String(contentsOfFile: folder + "/" + $0, encoding: .utf8).unicodeScalars) }
        let messages = try JinjaValue.parseJSON(#"[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":"a","tool_calls":[{"type":"function","function":{"name":"f","arguments":{"x":1}}}]},{"role":"tool","content":"r"}]"#)
        var options = JinjaRenderOptions()
        options.maxIterations = 20_000
        options.maxOutputBytes = 1 << 16
        // DLP_MUTATIONS / DLP_MUTATION_SEED run a longer search than the suite's
        let environment = ProcessInfo.processInfo.environment
        let count = environment["DLP_MUTATIONS"].flatMap { Int($0) } ?? 1500
        var rng = SplitMix64(state: environment["DLP_MUTATION_SEED"].flatMap { UInt64($0) } ?? 17)
        var rendered = 0, failed = 0
        for _ in 0..<count {
            var s = sources[Int.random(in: 0..<sources.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !s.isEmpty {
                let i = Int.random(in: 0..<s.count, using: &rng)
                let n = min(Int.random(in: 1...12, using: &rng), s.count - i)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: s.removeSubrange(i..<i + n)
                case 1: s.insert(contentsOf: s[i..<i + n], at: i)
                case 2: s.insert(contentsOf: Self.fragments[Int.random(in: 0..<Self.fragments.count, using: &rng)].unicodeScalars, at: i)
                default:
                    let j = Int.random(in: 0..<s.count, using: &rng)
                    s.swapAt(i, j)
                }
            }
            let source = String(String.UnicodeScalarView(s))
            do {
                _ = try ChatTemplate(source: source).render(messages: messages.iterated(line: 0), addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                                                            variables: ["enable_thinking": false], options: options)
                rendered += 1
            } catch is ChatTemplateError {
                failed += 1
            }
        }
        print("mutated templates: \(rendered) rendered, \(failed) refused")
        #expect(rendered > count / 20 && failed > count / 20)
    }
}
