import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampCore
import OnrampEngine
import OnrampExpression
import OnrampTransforms
import Testing

/// Lazy tables are an optimisation only: every pipeline must write byte for byte what the
/// record-at-a-time path writes, errors included.
@Suite struct LazyTableTests {
    static let csv = #"""
    order_no;line_no;sku;qty;unit_price;note
    1;1;A-1;2;10.5;plain
    1;2;B-2;3;0.1;"quoted; with ""quotes"""
    2;1;C-3;x;1;qty is not a number
    2;2;D-4;1;1e3;exponent falls back
    3;1;É-5;4;2.25;ünïcödé
    3;2;F-6;1;2
    ;;;;;
    4;1;G-7;0;00.5;leading zero falls back
    5;1;H-8;7;123456789012345678;too many digits
    6;1;"I-9;1;1;unterminated
    7;1;J-10;5;-3.75;"tab\#tand\\backslash"

    """#

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-lazy-\(UUID().uuidString)")

    /// Runs in `dir`, so that both paths report the same file names.
    func run(_ steps: String, lazy: Bool, destinationFormat: String = "ndjson") async throws -> (output: String, errors: String, summary: RunSummary) {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.csv.write(to: dir.appendingPathComponent("lines.csv"), atomically: true, encoding: .utf8)
        let spec = try PipelineLoader.parse("""
        version: 1
        name: lazy
        batch_size: 4
        source: { connector: csv, config: { path: "\(dir.path)/lines.csv", delimiter: ";" } }
        steps:
        \(steps)
        destination: { connector: file, config: { path: "\(dir.path)/out.\(destinationFormat)", format: \(destinationFormat) } }
        """)
        var registry = ConnectorRegistry()
        FileConnectors.register(into: &registry)
        var runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                    checkpoints: FileCheckpointStore(directory: dir.path), outputDirectory: dir.path)
        runner.lazyTables = lazy
        let summary = await runner.run()
        let output = try String(contentsOf: dir.appendingPathComponent("out.\(destinationFormat)"), encoding: .utf8)
        let errors = try String(contentsOf: dir.appendingPathComponent("lazy-errors.ndjson"), encoding: .utf8)
        return (output, errors, summary)
    }

    @Test(arguments: [
        "  - set: { amount: \"$number(qty) * $number(unit_price)\" }",
        "  - rename: { order_no: order, line_no: line }\n  - set: { amount: \"$number(qty) * $number(unit_price)\", big: \"$number(qty) > 2 and sku != 'A-1'\" }\n  - drop: [note]",
        "  - set: { sku: \"$lowercase(sku) & '/' & $uppercase(note)\", qty: \"$number(qty) = 0 ? undefined : $number(qty)\" }",
        "  - set: { note: \"$trim('  ' & note & '  ')\", sku: \"$trim(sku)\" }",
        "  - set: { label: \"line_no = '1' ? 'first' : note\" }\n  - set: { label: \"$string(label) & '!'\" }",
        "  - rename: { qty: sku }",
        "  - set: { amount: \"$number(qty) * $number(unit_price)\" }\n  - filter: \"amount > 5 or sku = 'A-1'\"\n  - set: { twice: \"amount * 2\" }",
        "  - filter: \"$number(qty) >= 1\"\n  - drop: [note]",
        "  - filter: \"sku = 'A-1' ? true : note\"",
        "  - filter: \"$length(note) > 5\"",
        "  - drop: [note]\n  - group: { by: order_no, into: lines }",
        "  - lookup: {table: {rows: [{sku: A-1, code: X}, {sku: ' c-3 ', code: Y}]}, on: {sku: sku}, set: {code: code},"
            + " ignore_case: true, missing: keep}",
        "  - lookup: {table: {rows: [{s: A-1, n: '1', c: X}]}, on: {sku: s, line_no: n}, set: {note: c, extra: missing},"
            + " missing: default, default: {flag: none}}",
        "  - lookup: {table: {rows: [{sku: A-1, c: X}]}, on: {sku: sku}, set: {c: c}}",
    ])
    func lazyAndEagerWriteTheSame(_ steps: String) async throws {
        let lazy = try await run(steps, lazy: true)
        let eager = try await run(steps, lazy: false)
        #expect(lazy.output == eager.output)
        #expect(lazy.errors == eager.errors)
        #expect(lazy.summary.recordsWritten == eager.summary.recordsWritten)
        #expect(lazy.summary.recordsRead == eager.summary.recordsRead)
        #expect(!lazy.output.isEmpty)
    }

    @Test(arguments: [
        "  - set: { amount: \"$number(qty) * $number(unit_price)\" }",
        "  - set: { first: \"line_no = '1' ? note : undefined\" }\n  - rename: { sku: qty }",
        "  - filter: \"$number(line_no) = 1\"",
    ])
    func lazyAndEagerWriteTheSameCSV(_ steps: String) async throws {
        let lazy = try await run(steps, lazy: true, destinationFormat: "csv")
        let eager = try await run(steps, lazy: false, destinationFormat: "csv")
        #expect(lazy.output == eager.output)
        #expect(lazy.errors == eager.errors)
        #expect(!lazy.output.isEmpty)
    }

    /// A lookup on a table's columns stays lazy (the table path answers); a miss that is an error does not.
    @Test func aLookupOnColumnsKeepsTheTableLazy() throws {
        var table = RecordTable(columns: ["sku", "qty"], file: "t.csv")
        table.append(line: 2, fields: [ArraySlice("A-1".utf8), ArraySlice("2".utf8)])
        table.append(line: 3, fields: [ArraySlice("B-2".utf8), ArraySlice("1".utf8)])
        func step(_ yaml: String) throws -> any TableStep {
            try #require(try StepFactory.make(StepLibraryTests.pipeline("- " + yaml).steps[0]) as? any TableStep)
        }
        let keep = try step("lookup: {table: {rows: [{sku: A-1, code: X}]}, on: {sku: sku}, set: {code: code}, missing: keep}")
        let out = try #require(keep.process(table: TableBatch(table)))
        #expect(out.records().map(\.value) == [["sku": "A-1", "qty": "2", "code": "X"], ["sku": "B-2", "qty": "1"]])
        let strict = try step("lookup: {table: {rows: [{sku: A-1, code: X}]}, on: {sku: sku}, set: {code: code}}")
        #expect(strict.process(table: TableBatch(table)) == nil)
    }

    @Test func theFastPathComputesWhatJSONataComputes() async throws {
        let r = try await run("  - set: { amount: \"$number(qty) * $number(unit_price)\" }", lazy: true)
        let lines = r.output.split(separator: "\n").map { try! JSONParser.parse(Array($0.utf8)) }
        #expect(lines.map { $0["amount"] } == [.number(21), .number(0.30000000000000004), .number(1000), .number(9), .number(0),
                                              .number(8.641975230864197e17), .number(-18.75)])
        #expect(lines[1]["note"] == .string("quoted; with \"quotes\""))
        #expect(lines.last?["note"] == .string("tab\tand\\\\backslash"))
        #expect(r.summary.failedByStage[.transform] == 1)
        #expect(r.summary.failedByStage[.extract] == 2)
    }

    @Test func rowExpressionsDecidePlainRowsAndLeaveTheRestToJSONata() throws {
        var table = RecordTable(columns: ["qty", "price", "sku"], file: "f.csv")
        for (line, row) in [["2", "10.5", "a"], ["x", "1", "b"], ["1", "1e3", "c"], ["3", "-0.25", "D"]].enumerated() {
            table.append(line: line + 2, fields: row.map { ArraySlice($0.utf8) })
        }
        let batch = TableBatch(table)
        let amount = try #require(RowExpression(try JSONata("$number(qty) * $number(price)"), columns: batch.columns.map(\.name)))
        #expect(amount.evaluate(batch, row: 0) == .some(.number(21)))
        #expect(amount.evaluate(batch, row: 1) == nil)
        #expect(amount.evaluate(batch, row: 2) == nil)
        #expect(amount.evaluate(batch, row: 3) == .some(.number(-0.75)))
        let label = try #require(RowExpression(try JSONata("sku = 'a' ? $uppercase(sku)"), columns: ["qty", "price", "sku"]))
        #expect(label.evaluate(batch, row: 0) == .some(.string("A")))
        #expect(label.evaluate(batch, row: 3) == .some(nil))
        let trimmed = try #require(RowExpression(try JSONata("$trim('  a  b ' & sku)"), columns: ["qty", "price", "sku"]))
        #expect(trimmed.evaluate(batch, row: 3) == .some(.string("a b D")))
        #expect(RowExpression(try JSONata("missing * 2"), columns: ["qty"]) == nil)
        #expect(RowExpression(try JSONata("$sum(qty)"), columns: ["qty"]) == nil)
        var shadowing = JSONata.FunctionRegistry()
        shadowing.register("number") { _ in .number(1) }
        #expect(RowExpression(try JSONata("$number(qty)"), columns: ["qty"], functions: shadowing) == nil)
    }
}

@Suite struct TableStepTests {
    @Test func filterSelectsRowsAndKeepsComputedColumnsAligned() throws {
        var table = RecordTable(columns: ["sku", "qty"], file: "f.csv")
        for (i, row) in [["a", "1"], ["b", "5"], ["c", "0"], ["d", "7"]].enumerated() {
            table.append(line: i + 2, fields: row.map { ArraySlice($0.utf8) })
        }
        let spec = try PipelineLoader.parse("""
        version: 1
        name: t
        source: { connector: csv, config: { path: f.csv } }
        steps:
          - set: { double: $number(qty) * 2 }
          - filter: double > 2
        destination: { connector: file, config: { path: out.ndjson } }
        """)
        var batch = TableBatch(table)
        for stepSpec in spec.steps {
            let step = try #require(try StepFactory.make(stepSpec) as? any TableStep)
            batch = try #require(step.process(table: batch))
        }
        #expect(batch.rowCount == 2)
        #expect(batch.records().map(\.value) == [["sku": "b", "qty": "5", "double": 10], ["sku": "d", "qty": "7", "double": 14]])
        #expect(batch.records().map(\.position.line) == [3, 5])
    }
}

/// Steps that run a batch on several threads give the output and errors of a sequential run, in order.
@Suite struct ParallelStepTests {
    @Test func mapAndSetKeepOrderAndReportEveryError() throws {
        let records = (0..<2000).map { i in
            Record(["n": i % 7 == 3 ? .string("x\(i)") : .number(Double(i))], position: SourcePosition(file: "in", line: i + 1))
        }
        for stepText in ["- map: '{\"m\": n * 2}'", "- set: { m: n * 2 }"] {
            let spec = try PipelineLoader.parse("""
            version: 1
            name: parallel
            source: { connector: ndjson, config: { path: in.ndjson } }
            steps:
              \(stepText)
            destination: { connector: file, config: { path: out.ndjson } }
            """)
            let step = try StepFactory.make(spec.steps[0])
            var errors: [RecordError] = []
            let out = step.process(records, errors: &errors)
            let expected = (0..<2000).filter { $0 % 7 != 3 }
            #expect(out.map { $0.value["m"] } == expected.map { .number(Double($0 * 2)) })
            #expect(out.map { $0.position.line } == expected.map { $0 + 1 })
            #expect(errors.map(\.position.line) == (0..<2000).filter { $0 % 7 == 3 }.map { $0 + 1 })
            #expect(errors.allSatisfy { $0.code == "expr.T2001" })
        }
    }
}
