import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampCore
import OnrampEngine
import Testing

/// `PipelineLinter`: every problem of a document at once, each with its code, path, line and column.
@Suite struct LintTests {
    static let linter = PipelineLinter(registry: EndToEndTests.registry(),
                                       resources: ConnectorResources(files: .local(FileManager.default.temporaryDirectory.path)),
                                       environment: ["KEY": "k", "DIR": "/tmp"])

    static func lint(_ text: String, fields: [String]? = nil) -> [LintProblem] {
        var l = linter
        l.sourceFields = fields
        return l.lint(text: text, file: "p.yaml")
    }

    static func only(_ code: String, in problems: [LintProblem]) throws -> LintProblem {
        let found = problems.filter { $0.code == code }
        #expect(found.count == 1, "\(code) in \(problems.map { "\($0.code) \($0.path ?? "")" })")
        return try #require(found.first)
    }

    static let good = """
        version: 1
        name: orders
        source:
          connector: csv
          config: {path: "${env:DIR}/orders.csv", delimiter: ";"}
        steps:
          - name: tidy
            set:
              OrderNo: $trim(OrderNo)
          - group: {by: OrderNo, header: RecType = "H", into: lines}
          - map: |
              {
                "transactionId": "A-" & OrderNo,
                "lines": [lines.{"amount": Amount}]
              }
        destination:
          connector: taxman
          config: {base_url: "http://127.0.0.1:9", api_key: "${env:KEY}"}
        """

    @Test func aCleanPipelineHasNoProblems() {
        #expect(Self.lint(Self.good) == [])
        #expect(Self.lint(Self.good, fields: ["OrderNo", "RecType", "Amount"]) == [])
    }

    @Test func everyProblemIsReportedAtOnceWithItsLineAndColumn() throws {
        let text = """
            version: 1
            name: orders
            destnation: x
            source:
              connector: csv
              config: {path: /tmp/o.csv, delimitr: ";", encoding: latin-9}
            steps:
              - mapp: $
              - map: '{"a": $round(Amount, }'
            destination:
              connector: taxmann
            """
        let problems = Self.lint(text)
        #expect(problems.count == 6, "\(problems)")
        let top = try Self.only("spec.unknown_key", in: problems)
        #expect(top.path == "destnation" && top.line == 3 && top.column == 1 && top.hint == "did you mean destination?")
        let key = try Self.only("config.unknown_key", in: problems)
        #expect(key.path == "source.config.delimitr" && key.line == 6 && key.hint == "did you mean delimiter?")
        let step = try Self.only("spec.step", in: problems)
        #expect(step.path == "steps[0].mapp" && step.line == 8 && step.hint == "did you mean map?")
        let expr = try #require(problems.first { $0.code.hasPrefix("expr.") })
        #expect(expr.path == "steps[1].map" && expr.line == 9 && (expr.column ?? 0) > 26, "\(expr)")
        let connector = try Self.only("connector.unknown", in: problems)
        #expect(connector.path == "destination.connector" && connector.line == 11 && connector.hint == "did you mean taxman?")
        #expect(problems.contains { $0.code == "config.enum" && $0.path == "source.config.encoding" })
        #expect(problems.allSatisfy { $0.severity == .error })
    }

    @Test func aJSONataErrorInABlockScalarIsPlacedOnItsOwnLine() throws {
        let text = Self.good.replacingOccurrences(of: "\"lines\": [lines.{\"amount\": Amount}]",
                                                  with: "\"lines\": [lines.{\"amount\": Amount}")
        let p = try #require(Self.lint(text).first)
        #expect(p.code.hasPrefix("expr.") && p.path == "steps[2].map")
        #expect(p.line ?? 0 >= 14 && p.line ?? 0 <= 16, "\(p)")
    }

    @Test func aGroupWithoutAKeyAndAMissingSecret() throws {
        let text = Self.good.replacingOccurrences(of: "- group: {by: OrderNo, header: RecType = \"H\", into: lines}",
                                                  with: "- group: {header: RecType = \"H\"}")
            .replacingOccurrences(of: ", api_key: \"${env:KEY}\"", with: "")
        let problems = Self.lint(text)
        let group = try Self.only("lint.group_without_key", in: problems)
        #expect(group.path == "steps[1].group" && group.line == 10 && group.hint != nil)
        let secret = try Self.only("lint.secret_missing", in: problems)
        #expect(secret.path == "destination.config.api_key" && secret.hint?.contains("${secret:") == true)
    }

    @Test func aSecretWrittenInTheFileIsAWarning() throws {
        let p = try Self.only("lint.secret_literal", in: Self.lint(Self.good.replacingOccurrences(of: "${env:KEY}", with: "sk_live_1")))
        #expect(p.severity == .warning && p.path == "destination.config.api_key" && p.line == 18)
        #expect(!p.message.contains("sk_live_1"))
    }

    @Test func anUnsetEnvironmentVariableIsNamed() throws {
        let p = try Self.only("spec.env", in: Self.lint(Self.good.replacingOccurrences(of: "${env:DIR}", with: "${env:NOPE}")))
        #expect(p.path == "source.config.path" && p.message.contains("NOPE") && p.line == 5)
    }

    @Test func fieldsTheSourceDoesNotHaveAreWarnedAtTheirCharacter() throws {
        let problems = Self.lint(Self.good.replacingOccurrences(of: "$trim(OrderNo)", with: "$trim(OrderNum)"),
                                 fields: ["OrderNo", "RecType", "Amount"])
        let p = try Self.only("lint.unknown_field", in: problems)
        #expect(p.severity == .warning && p.path == "steps[0].set.OrderNo" && p.hint == "did you mean OrderNo?")
        #expect(p.line == 9 && p.column == 22, "\(p)")
        // After a map, the records' fields are the map's keys.
        let after = Self.lint(Self.good.replacingOccurrences(of: "destination:\n", with: "  - filter: total > 0\ndestination:\n"),
                              fields: ["OrderNo", "RecType", "Amount"])
        let filter = try Self.only("lint.unknown_field", in: after)
        #expect(filter.path == "steps[3].filter" && filter.message.contains("total"))
    }

    @Test func aStepWhoseFieldsAMapDiscardsIsUnused() throws {
        let text = Self.good.replacingOccurrences(of: "  - map: |", with: "  - set: {unused_total: $count(lines) * 2}\n  - map: |")
        let p = try Self.only("lint.unused_step", in: Self.lint(text))
        #expect(p.severity == .warning && p.path == "steps[2].set" && p.message.contains("unused_total"))
        #expect(p.message.contains("steps[3].map"))
        // A group takes the rows, with what earlier steps set on them, into its `into`: read by whatever reads that.
        let grouped = Self.good.replacingOccurrences(of: "  - group:", with: "  - set: {line_total: Amount * 2}\n  - group:")
        #expect(Self.lint(grouped).filter { $0.code == "lint.unused_step" }.isEmpty)
        // A map that reads its whole input ($) uses every field.
        let whole = text.replacingOccurrences(of: "\"transactionId\": \"A-\" & OrderNo,", with: "\"all\": $,")
        #expect(Self.lint(whole).filter { $0.code == "lint.unused_step" }.isEmpty)
    }

    @Test func syntaxAndDuplicateKeysArePlaced() throws {
        let syntax = Self.lint("version: 1\nname: [unclosed\n")
        #expect(syntax.count == 1 && syntax[0].code == "spec.syntax" && syntax[0].line != nil)
        let dup = Self.lint("version: 1\nname: a\nname: b\n")
        #expect(dup.count == 1 && dup[0].code == "spec.duplicate_key" && dup[0].line != nil)
    }

    @Test func aJSONDocumentIsLintedToo() throws {
        let problems = Self.lint(#"{"version": 1, "name": "x", "sorce": {}, "destination": {"connector": "taxman"}}"#)
        let p = try Self.only("spec.unknown_key", in: problems)
        #expect(p.line == 1 && p.column == 29 && p.hint == "did you mean source?")
        #expect(problems.contains { $0.code == "spec.missing" && $0.path == "source" })
    }

    @Test func hostileDocumentsEndInProblemsNotCrashes() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(!Self.lint("version: 1\nname: \(deep)\n").isEmpty)
        let deepExpression = Self.good.replacingOccurrences(of: "$trim(OrderNo)",
                                                            with: String(repeating: "(", count: 3000) + "1"
                                                                + String(repeating: ")", count: 3000))
        _ = Self.lint(deepExpression, fields: ["OrderNo"])
        #expect(Self.lint("").count == 1)
        #expect(Self.lint("- just\n- a list\n").first?.code == "spec.type")
    }

    /// Each starter template, its blanks filled with their examples, lints without a problem: lint's warnings hold no
    /// false alarm on the pipelines we ship.
    @Test(arguments: StarterTemplates.all.map { $0.name })
    func theStarterTemplatesLintClean(_ name: String) throws {
        let template = try #require(StarterTemplates.all.first { $0.name == name })
        var values: [String: String] = [:]
        for p in template.parameters { values[p.name] = p.example }
        // The test registry has the file and HTTP families (not postgres): the steps are what is checked here.
        let problems = Self.linter.lint(document: try template.filled(values), map: nil)
            .filter { !["connector.unknown", "spec.env", "spec.secret_placement"].contains($0.code) }
        #expect(problems == [], "\(name): \(problems)")
    }
}
