// SentenceSegmenterTests.swift: sentence boundaries in English and other Latin-script text and CJK,
// including the hard cases (abbreviations, initials, decimals, ellipses, quotes and brackets after the end
// mark, URLs, lists and newlines), and offsets that point back into the original text.
import Testing
@testable import DLPLoRA

@Suite struct SentenceSegmenterTests {
    static let cases: [(String, [String])] = [
        ("Hello world.", ["Hello world."]),
        ("Hello world. How are you?", ["Hello world.", "How are you?"]),
        ("Wow! Really? Yes.", ["Wow!", "Really?", "Yes."]),
        ("No end mark", ["No end mark"]),
        ("", []),
        ("   ", []),
        ("  Leading and trailing spaces.   ", ["Leading and trailing spaces."]),
        ("Use e.g. apples or i.e. fruit. Then stop.", ["Use e.g. apples or i.e. fruit.", "Then stop."]),
        ("Dr. Smith arrived. He was late.", ["Dr. Smith arrived.", "He was late."]),
        ("Mr. and Mrs. Jones left. Ms. Lee stayed.", ["Mr. and Mrs. Jones left.", "Ms. Lee stayed."]),
        ("Prof. Xavier teaches at St. Mary's. Class starts soon.", ["Prof. Xavier teaches at St. Mary's.", "Class starts soon."]),
        ("Pi is 3.14159. E is 2.718.", ["Pi is 3.14159.", "E is 2.718."]),
        ("It costs $4.50 today. Tomorrow $5.", ["It costs $4.50 today.", "Tomorrow $5."]),
        ("Wait... what happened? Nothing.", ["Wait... what happened?", "Nothing."]),
        ("I wonder... Then it hit me.", ["I wonder...", "Then it hit me."]),
        ("Hmm\u{2026} okay. Fine.", ["Hmm\u{2026} okay.", "Fine."]),
        ("He said \"Stop.\" Then he left.", ["He said \"Stop.\"", "Then he left."]),
        ("She asked 'why?' He shrugged.", ["She asked 'why?'", "He shrugged."]),
        ("It was (mostly) fine.) Next.", ["It was (mostly) fine.)", "Next."]),
        ("(This is bracketed.) And this is not.", ["(This is bracketed.)", "And this is not."]),
        ("\u{201C}Curly quotes.\u{201D} Next one.", ["\u{201C}Curly quotes.\u{201D}", "Next one."]),
        ("J. K. Rowling wrote books. They sold well.", ["J. K. Rowling wrote books.", "They sold well."]),
        ("The U.S. Army is large. It has many units.", ["The U.S. Army is large.", "It has many units."]),
        ("Meet at 10 a.m. tomorrow. Bring food.", ["Meet at 10 a.m. tomorrow.", "Bring food."]),
        ("Visit example.com for more. Or not.", ["Visit example.com for more.", "Or not."]),
        ("Mail me at a.b@example.org today. Thanks.", ["Mail me at a.b@example.org today.", "Thanks."]),
        ("See https://x.org/a.b?c=d. Done.", ["See https://x.org/a.b?c=d.", "Done."]),
        ("It weighs approx. three kilos. Heavy.", ["It weighs approx. three kilos.", "Heavy."]),
        ("Version 2.0 is out. Upgrade now!", ["Version 2.0 is out.", "Upgrade now!"]),
        ("Really?! That is wild.", ["Really?!", "That is wild."]),
        ("First line\nsecond part of it.", ["First line\nsecond part of it."]),
        ("Paragraph one\n\nParagraph two", ["Paragraph one", "Paragraph two"]),
        ("Options:\n- apples\n- pears\n- plums", ["Options:", "- apples", "- pears", "- plums"]),
        ("Steps:\n1. Mix\n2. Bake\n3. Eat", ["Steps:", "1. Mix", "2. Bake", "3. Eat"]),
        ("Choose one:\n(a) red\n(b) blue", ["Choose one:", "(a) red\n(b) blue"]),
        ("Done.\nNext line starts here.", ["Done.", "Next line starts here."]),
        ("今天天气很好。我们去公园吧！你去吗？", ["今天天气很好。", "我们去公园吧！", "你去吗？"]),
        ("東京は大きい。大阪も大きい。", ["東京は大きい。", "大阪も大きい。"]),
        ("他说：「你好。」然后走了。", ["他说：「你好。」", "然后走了。"]),
        ("Mixed English. 中文句子。 More English.", ["Mixed English.", "中文句子。", "More English."]),
        ("¿Dónde está? Está aquí.", ["¿Dónde está?", "Está aquí."]),
        ("Ça va? Très bien. Merci!", ["Ça va?", "Très bien.", "Merci!"]),
        ("Die Straße ist lang. Der Weg auch.", ["Die Straße ist lang.", "Der Weg auch."]),
        ("Fig. 3 shows it. See also No. 5.", ["Fig. 3 shows it.", "See also No. 5."]),
        ("Apples, pears, etc. are fruit. Yes.", ["Apples, pears, etc. are fruit.", "Yes."]),
        ("Take 1 step. Take 2 steps. Turn around.", ["Take 1 step.", "Take 2 steps.", "Turn around."]),
        ("Q: What is 2+2? A: 4.", ["Q: What is 2+2?", "A: 4."]),
    ]

    @Test func boundaries() {
        #expect(Self.cases.count >= 40)
        for (text, expected) in Self.cases {
            #expect(SentenceSegmenter.split(text).map(\.text) == expected, "\(text.debugDescription)")
        }
    }

    @Test func offsetsPointIntoTheOriginalText() {
        for (text, _) in Self.cases {
            let bytes = Array(text.utf8)
            for s in SentenceSegmenter.split(text) {
                #expect(String(decoding: bytes[s.utf8Range], as: UTF8.self) == s.text)
            }
        }
    }
}
