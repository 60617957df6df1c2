import Foundation
import OnrampConnectorKit
import OnrampCore
@testable import OnrampEngine
import Testing

/// The pipeline test runner: inputs parsed by the pipeline's own source, step slices, exact and predicate
/// expectations, error records and sandbox answers; each case fails when what it pins changes.
@Suite struct PipelineTestRunnerTests {
    /// A Windows-1252, semicolon-separated export with decimal commas, and a pipeline whose source reads it so.
    static let pipeline = """
        version: 1
        name: pinned
        source: {connector: csv, config: {path: "exports/*.csv", delimiter: ";", encoding: windows-1252}}
        steps:
          - name: clean
            set: {City: $trim(City)}
          - name: priced
            map: |
              {"transactionId": "T-" & Id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "EUR",
               "city": City, "shipTo": {"country": "DE"},
               "lines": [{"number": "1", "quantity": 1, "amount": $parseDecimal(Amount, ",")}]}
          - name: big-only
            filter: lines[0].amount > 10
        destination: {connector: taxman, config: {base_url: "https://taxman.invalid", api_key: k}}
        """

    struct Fixture {
        let dir: URL
        let runner: PipelineTestRunner
    }

    static func fixture(pipeline: String = pipeline) throws -> Fixture {
        let dir = EndToEndTests.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("fixtures"), withIntermediateDirectories: true)
        let export = "Id;City;Amount\r\n1; München ;1.234,56\r\n2;Köln;9,99\r\n"
        try #require(export.data(using: .windowsCP1252)).write(to: dir.appendingPathComponent("fixtures/day1.csv"))
        let spec = try PipelineLoader.parse(pipeline)
        let runner = PipelineTestRunner(spec: spec, registry: DryRunTests.registry(),
                                        resources: ConnectorResources(files: .local(dir.path)),
                                        scratch: dir.appendingPathComponent("scratch").path)
        return Fixture(dir: dir, runner: runner)
    }

    static func results(_ yaml: String, _ f: Fixture) async throws -> [PipelineTestResult] {
        let document = try PipelineTestSuite.parse(yaml, file: "t.tests.yaml")
        try f.runner.check(document)
        return await f.runner.run(document)
    }

    @Test func aFixtureIsReadWithTheSourcesEncodingDelimiterAndTheMappingsDecimalCommas() async throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let passing = try await Self.results("""
            cases:
              - name: file
                to: priced
                input: {file: fixtures/day1.csv}
                expect:
                  each: $count(lines) = 1
                  all: $count($) = 2 and $[0].city = "München" and $[0].lines[0].amount = 1234.56
                       and $[1].city = "Köln" and $[1].lines[0].amount = 9.99
              - name: text
                to: priced
                input:
                  text: "Id;City;Amount\\n7;Düsseldorf;0,50\\n"
                expect:
                  output:
                    - {transactionId: T-7, type: SalesInvoice, date: "2026-11-03", currency: EUR, city: Düsseldorf,
                       shipTo: {country: DE}, lines: [{number: "1", quantity: 1, amount: 0.5}]}
            """, f)
        #expect(passing.map(\.failures) == [[], []])

        // Read as UTF-8 with commas, the same bytes give other records: the case pins the source's options.
        let utf8 = try Self.fixture(pipeline: Self.pipeline.replacingOccurrences(of: ", delimiter: \";\", encoding: windows-1252", with: ""))
        defer { try? FileManager.default.removeItem(at: utf8.dir) }
        let failing = try await Self.results("""
            cases:
              - name: file
                to: clean
                input: {file: fixtures/day1.csv}
                expect:
                  all: $[0].City = "München"
            """, utf8)
        #expect(failing.count == 1 && failing[0].passed == false)
    }

    @Test func fromAndToSelectTheStepsByNameOrIndex() async throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let record = #"{"transactionId": "T-1", "lines": [{"amount": 5}]}"#
        let results = try await Self.results("""
            cases:
              - name: only the filter, by name
                from: big-only
                input: {records: [\(record), {"transactionId": "T-2", "lines": [{"amount": 50}]}]}
                expect: {output: [{"transactionId": "T-2", "lines": [{"amount": 50}]}]}
              - name: only the first step, by index
                to: 0
                input: {records: [{Id: "1", City: "  Ulm "}]}
                expect: {output: [{Id: "1", City: Ulm}]}
              - name: the middle step, by path
                from: steps[1]
                to: steps[1]
                input: {records: [{Id: "3", City: Bonn, Amount: "2,00"}]}
                expect: {each: 'transactionId = "T-3" and lines[0].amount = 2'}
              - name: the filter is not skipped without from
                input: {records: [{Id: "4", City: Bonn, Amount: "2,00"}]}
                expect: {output: []}
            """, f)
        #expect(results.map(\.failures) == [[], [], [], []])

        let doc = try PipelineTestSuite.parse("""
            cases:
              - {name: a, from: nowhere, input: {records: []}, expect: {}}
            """, file: "t.tests.yaml")
        #expect(throws: OnrampError.self) { try f.runner.check(doc) }
        let backwards = try PipelineTestSuite.parse("""
            cases:
              - {name: a, from: 2, to: clean, input: {records: []}, expect: {}}
            """, file: "t.tests.yaml")
        do { try f.runner.check(backwards); Issue.record("a to before its from was accepted") } catch let e as OnrampError {
            #expect(e.code == "test.steps" && e.location == "cases[0].to")
        }
    }

    @Test func aWrongExpectationFailsWithADiffAndAFalsePredicateWithTheRecord() async throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let results = try await Self.results("""
            cases:
              - name: exact
                to: clean
                input: {records: [{Id: "1", City: " Ulm "}, {Id: "2", City: Bonn}]}
                expect: {output: [{Id: "1", City: Ulm}, {Id: "2", City: Berlin}]}
              - name: count
                to: clean
                input: {records: [{Id: "1", City: Ulm}]}
                expect: {output: [{Id: "1", City: Ulm}, {Id: "9", City: Jena}]}
              - name: predicate
                to: clean
                input: {records: [{Id: "1", City: Ulm}, {Id: "2", City: Bonn}]}
                expect: {each: City = "Ulm"}
            """, f)
        #expect(results.map(\.passed) == [false, false, false])
        #expect(results[0].failures == ["output differs (- expected, + actual):\n  [1].City: - \"Berlin\"  + \"Bonn\""])
        #expect(results[1].failures[0].contains("expected 2 records, got 1"))
        #expect(results[1].failures[0].contains(#"- [1] {"Id":"9","City":"Jena"}"#))
        #expect(results[2].failures[0].contains(#"output[1]: gave false: {"Id":"2","City":"Bonn"}"#))
        #expect(!results[2].failures[0].contains("output[0]"))
    }

    @Test func errorRecordsAreExpectedByCodeStageFieldAndMessageAndUnexpectedOnesFail() async throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let bad = #"{Id: "5", City: Jena, Amount: "zwei"}"#
        let results = try await Self.results("""
            cases:
              - name: expected
                from: priced
                input: {records: [\(bad)]}
                expect:
                  output: []
                  errors: [{code: expr.clean.decimal, stage: transform, step: priced}]
              - name: unexpected
                from: priced
                input: {records: [\(bad)]}
                expect: {output: []}
              - name: wrong stage
                from: priced
                input: {records: [\(bad)]}
                expect:
                  errors: [{code: expr.clean.decimal, stage: load}]
            """, f)
        #expect(results.map(\.passed) == [true, false, false], "\(results.map(\.failures))")
        #expect(results[1].failures.first?.contains("errors differ: expected 0, got 1") == true)
        #expect(results[1].failures.first?.contains("+ [0] code: expr.clean.decimal, stage: transform") == true)
        #expect(results[2].failures.first?.contains("- [0] code: expr.clean.decimal, stage: load") == true)
    }

    @Test func sandboxAnswersAreAssertedPerOutputRecord() async throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let results = try await Self.results("""
            cases:
              - name: tax
                to: priced
                input: {file: fixtures/day1.csv}
                expect:
                  sandbox:
                    - result: {transactionId: T-1, totalTax: 234.57}
                    - result: {totalTax: 1.9}
              - name: wrong tax
                to: priced
                input: {file: fixtures/day1.csv}
                expect:
                  sandbox: [{result: {totalTax: 234.57}}, {result: {totalTax: 2}}]
              - name: refusal
                from: priced
                to: priced
                input: {records: [{Id: "8", City: X, Amount: "1,001"}]}
                expect:
                  sandbox: [{refused: taxman.ValidationFailed, message: "lines[0].amount"}]
            """, f)
        #expect(results[0].failures == [], "\(results[0].failures)")
        #expect(results[1].failures == ["sandbox answers differ:\n  [1].result.totalTax: - 2  + 1.9"])
        #expect(results[2].failures == [], "\(results[2].failures)")
    }

    @Test func unknownKeysAndBadShapesAreErrorsWithTheirPath() throws {
        func error(_ yaml: String) -> OnrampError? {
            do { _ = try PipelineTestSuite.parse(yaml, file: "t.tests.yaml"); return nil } catch let e as OnrampError { return e } catch {
                return nil
            }
        }
        #expect(error("cases: [{name: a, input: {records: []}, expect: {outputs: []}}]")?.location
                == "t.tests.yaml: cases[0].expect.outputs")
        #expect(error("cases: [{name: a, input: {records: [], file: x.csv}, expect: {}}]")?.code == "test.input")
        #expect(error("cases: [{name: a, input: {records: []}, expect: {each: '$$$('}}]")?.location
                == "t.tests.yaml: cases[0].expect.each")
        #expect(error("cases: [{name: a, input: {records: []}, expect: {}}, {name: a, input: {records: []}, expect: {}}]")?
            .code == "test.duplicate")
        #expect(error("pipeline: x.yaml\nextra: 1\ncases: []")?.location == "t.tests.yaml: extra")
        #expect(error(String(repeating: "[", count: 600) + String(repeating: "]", count: 600))?.code == "spec.syntax")
        #expect(error(String(repeating: "x", count: PipelineTestSuite.maxBytes + 1))?.code == "test.too_large")
    }

    @Test func junitEscapesMarkupAndCountsFailuresAndErrors() {
        let suites = [
            PipelineTestSuite(file: "a.tests.yaml", results: [
                PipelineTestResult(name: "ok", failures: [], seconds: 0.01),
                PipelineTestResult(name: "<b> & \"q\"", failures: ["output differs:\n  [0]: - \"<x>\"  + \u{1}"], seconds: 0),
            ]),
            PipelineTestSuite(file: "b.tests.yaml", error: OnrampError("test.missing", "required key is missing", at: "cases")),
        ]
        let xml = PipelineTestSuite.junit(suites)
        #expect(xml.contains(#"<testsuites name="onramp test" tests="3" failures="1" errors="1">"#))
        #expect(xml.contains(#"<testcase name="&lt;b&gt; &amp; &quot;q&quot;" classname="a.tests.yaml""#))
        #expect(xml.contains("- &quot;&lt;x&gt;&quot;  + \u{FFFD}</failure>"))
        #expect(xml.contains(#"<error message="test.missing">cases: required key is missing [test.missing]</error>"#))
    }
}
