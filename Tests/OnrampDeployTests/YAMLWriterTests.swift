import Foundation
import OnrampCore
import OnrampDeploy
import OnrampEngine
import Testing

@Suite struct YAMLWriterTests {
    static let awkward = [
        "yes", "no", "Yes", "NO", "on", "off", "y", "n", "true", "False", "null", "Null", "~", "", " ", "1.0", "1",
        "-1", "0x1F",
        "0o17", "1e3", ".inf", "-.inf", ".nan", "+1", "007", "1_000", "12:30", "2026-12-02", "@x", "`x`", "!tag",
        "&anchor",
        "*alias", "%percent", "#comment", "a #b", "a: b", "a:b", "- item", "-", "?", "? x", "[a]", "{a: 1}", "a, b",
        "'quoted'",
        "\"double\"", "  leading", "trailing  ", "tab\there", "line\nbreak", "two\n\nblank lines\n",
        "ends with newline\n",
        "\n starts with newline", "  indented\n  block\n", "$.amount * 1.2\n", "${secret:TAXMAN_KEY}", "${env:HOME}",
        "$map($, function($v) {\n  $v.amount > 0 ? \"ok\" : 'neg'\n})", "ünïcödé ✓", "emoji 🚀", "\u{7}bell",
        "nul\u{0}byte",
        "crlf\r\nline", "\u{FEFF}bom", "\u{2028}separator", "back\\slash", "a\u{85}next", "<<", "=", "|", ">", "---",
        "...",
        "a --- b", "key:", "Infinity", "NaN", "0.1", "-0", "1.", ".5", "1e", "e1", "0b101", "+.inf",
    ]

    static func roundTrips(_ value: Value) throws -> Bool {
        let text = try YAMLWriter.text(value, file: "t.yaml")
        return try PipelineLoader.document(text, file: "t.yaml") == value
    }

    @Test(arguments: awkward) func anAwkwardStringReadsBackAsItself(_ s: String) throws {
        var o: Value.Object = ["value": .string(s), "list": [.string(s)]]
        o["key " + s] = "as a key"
        o[s] = .string(s)
        #expect(try Self.roundTrips(.object(o)))
        // YAML, not the JSON fallback, except for a byte-order mark (which does not read back through YAML).
        #expect(
            try !YAMLWriter.text(.object(o), file: "t.yaml").hasPrefix("{") || s.unicodeScalars.contains("\u{FEFF}"))
    }

    /// Every string of up to two characters over YAML's troublesome ones, and of three over the worst of them.
    @Test func everyShortStringOfTroublesomeCharactersReadsBackAsItself() throws {
        let alphabet = Array("ab1.-:#&*!|>'\"%@`,[]{}? \t\n\\yesnotrulfx0e+~=<ü🚀\r")
        var strings: [String] = [""]
        for a in alphabet {
            strings.append(String(a))
            for b in alphabet { strings.append(String([a, b])) }
        }
        let worst = Array(": #-'\"\ny")
        for a in worst { for b in worst { for c in worst { strings.append(String([a, b, c])) } } }
        for s in strings {
            let value: Value = ["v": .string(s), "k": [.string(s)]]
            #expect(try Self.roundTrips(value), "\(s.debugDescription)")
            #expect(try !YAMLWriter.text(value, file: "t.yaml").hasPrefix("{"), "JSON fallback for \(s.debugDescription)")
        }
    }

    @Test func numbersBooleansNullAndEmptyContainersKeepTheirTypes() throws {
        let value: Value = [
            "n": 10, "d": 0.1, "neg": -2.5, "big": 1.2345678901234567e19, "tiny": 1e-7, "t": true, "f": false,
            "z": .null, "o": .object([:]), "a": .array([]), "nested": [[["deep": [1, "1", true, "true"]]]],
        ]
        #expect(try Self.roundTrips(value))
    }

    @Test func aMultiLineExpressionIsALiteralBlock() throws {
        let text = try YAMLWriter.text(["map": "{\n  \"id\": id\n}\n"], file: "t.yaml")
        #expect(text == "map: |\n  {\n    \"id\": id\n  }\n")
    }

    @Test func pipelineKeysComeInTheCanonicalOrderAndConfigsKeepTheirs() throws {
        let document: Value = [
            "notify": ["url": "https://hooks.example"],
            "destination": ["connector": "file", "config": ["z": 1, "a": 2]],
            "steps": [["map": "x"]], "name": "p", "version": 1, "extra": true,
        ]
        let text = try DeployLayout.text(pipeline: document, name: "p")
        #expect(
            text == """
                version: 1
                name: p
                steps:
                - map: x
                destination:
                  connector: file
                  config:
                    z: 1
                    a: 2
                notify:
                  url: "https://hooks.example"
                extra: true

                """)
    }
}
