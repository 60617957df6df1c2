import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
@testable import OnrampTransforms
import Testing

/// The built-in steps one by one, on records: what each gives, and the error records it makes.
@Suite struct StepLibraryTests {
    /// Runs `steps` (YAML list items) over `input` the way the engine does: process, then finish until empty.
    static func apply(_ steps: String, _ input: [Value], context: StepContext = StepContext()) throws -> (out: [Value], errors: [RecordError]) {
        let spec = try pipeline(steps)
        var records = input.enumerated().map { Record($1, position: SourcePosition(file: "in.csv", line: $0 + 2)) }
        var errors: [RecordError] = []
        for s in spec.steps {
            let step = try StepFactory.make(s, context: context)
            var out = step.process(records, errors: &errors)
            while case let more = step.finish(errors: &errors), !more.isEmpty { out += more }
            if let failure = step.failure { throw failure }
            records = out
        }
        return (records.map(\.value), errors)
    }

    static func buildError(_ steps: String, rows: [Value] = []) -> OnrampError? {
        do { _ = try apply(steps, rows); return nil } catch let e as OnrampError { return e } catch { return nil }
    }

    @Test func lookupMatchesOnTrimmedCaseInsensitiveKeysAndSaysWhatIsMissing() throws {
        let table = """
        - lookup:
            table: {rows: [{name: Germany, code: DE, region: EU}, {name: "United States", code: US, region: NA}]}
            on: {country: name}
            set: {country_code: code, "meta.region": region}
            ignore_case: true
        """
        let (out, errors) = try Self.apply(table, [["id": 1, "country": " germany "], ["id": 2, "country": "Atlantis"],
                                                   ["id": 3, "country": "UNITED STATES"]])
        #expect(out == [["id": 1, "country": " germany ", "country_code": "DE", "meta": ["region": "EU"]],
                        ["id": 3, "country": "UNITED STATES", "country_code": "US", "meta": ["region": "NA"]]])
        #expect(errors.count == 1 && errors[0].code == "lookup.missing" && errors[0].position.line == 3)
        #expect(errors[0].message.contains("country=Atlantis") && errors[0].field == "country")
        let (kept, none) = try Self.apply(table.replacingOccurrences(of: "ignore_case: true", with: "missing: default\n    default: {country_code: XX}"),
                                          [["country": "germany"], ["country": "Germany"]])
        #expect(none.isEmpty && kept.map { $0["country_code"] } == ["XX", "DE"], "exact case without ignore_case")
        #expect(Self.buildError("- lookup: {table: {rows: []}, on: {a: b}}")?.message.contains("set") == true)
        #expect(Self.buildError("- lookup: {table: {rows: [], file: x.csv}, on: {a: b}, into: r}")?.code == "config.table")
        #expect(Self.buildError("- lookup: {table: {rows: [1]}, on: {a: b}, into: r}")?.location == "steps[0].lookup.table.rows[0]")
    }

    /// A pattern that backtracks for ever on a hostile value fails that record after about a second; the records
    /// around it are checked as usual.
    @Test func aBacktrackingPatternFailsItsRecordNotTheRun() throws {
        let started = ContinuousClock.now
        let (out, errors) = try Self.apply("- validate: {rules: [{name: word, field: w, pattern: \"(a+)+$\"}]}",
                                           [["w": "aaa"], ["w": .string(String(repeating: "a", count: 40) + "!")], ["w": "a"]])
        #expect(out.count == 2 && errors.map(\.code) == ["validate.word"])
        #expect(errors.first?.message.contains("took more than 1 s") == true, "\(errors)")
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func validateReportsEveryFailingRuleWithItsFieldAndLetsWarningsThrough() throws {
        let steps = """
        - validate:
            rules:
              - {name: id_required, field: id, required: true}
              - {name: amount_range, field: amount, type: decimal, min: 0, max: 1000}
              - {name: currency_code, field: currency, pattern: "[A-Z]{3}", level: warning}
              - {name: status_known, field: status, enum: [open, paid]}
              - {name: sku_length, field: "line.sku", min_length: 2, max_length: 5}
              - {name: dates_in_order, check: "ship >= ordered"}
        """
        let good: Value = ["id": 1, "amount": "12.50", "currency": "EUR", "status": "open", "line": ["sku": "AB"],
                           "ordered": "2026-01-01", "ship": "2026-01-02"]
        var bad = good
        bad = ["id": " ", "amount": 2000, "currency": "eur", "status": "void", "line": ["sku": "ABCDEFG"],
               "ordered": "2026-02-01", "ship": "2026-01-02"]
        var warned = good
        if case .object(var o) = warned { o["currency"] = "usd"; warned = .object(o) }
        let (out, errors) = try Self.apply(steps, [good, bad, warned])
        #expect(out == [good, warned])
        let codes = errors.map(\.code)
        #expect(codes == ["validate.id_required", "validate.amount_range", "validate.currency_code", "validate.status_known",
                          "validate.sku_length", "validate.dates_in_order", "validate.currency_code"])
        #expect(errors.filter(\.isWarning).map(\.position.line) == [3, 4])
        #expect(errors[1].field == "amount" && errors[1].message.contains("amount = 2000") && errors[1].message.contains("at most 1000"))
        #expect(errors[4].field == "line.sku" && errors[4].message.contains("at most 5 characters"))
        #expect(Self.buildError("- validate: {rules: [{name: x, field: a}]}")?.message.contains("checks nothing") == true)
        #expect(Self.buildError("- validate: {rules: [{name: x, field: a, pattern: \"(\"}]}")?.code == "config.pattern")
        #expect(Self.buildError("- validate: {rules: [{name: x, required: true}]}")?.code == "config.missing")
    }

    @Test func dedupeWithinARunKeepsTheFirstAndCanReportTheOthers() throws {
        let input: [Value] = [["o": 1, "l": 1], ["o": 1, "l": 2], ["o": 1, "l": 1], ["o": "1", "l": 1]]
        let (out, none) = try Self.apply("- dedupe: {key: [o, l]}", input)
        #expect(out == [input[0], input[1], input[3]] && none.isEmpty, "the number 1 and the text \"1\" are different keys")
        let (_, errors) = try Self.apply("- dedupe: {key: [o, l], duplicates: error}", input)
        #expect(errors.map(\.code) == ["dedupe.duplicate"] && errors[0].position.line == 4)
    }

    @Test func unnestAndSplitMakeOneRecordPerItem() throws {
        let order: Value = ["id": "A1", "customer": "c", "lines": [["sku": "x", "qty": 1], ["sku": "y", "qty": 2]]]
        let (out, _) = try Self.apply("- unnest: {path: lines, keep: [id], index: n}", [order, ["id": "A2", "lines": []]])
        #expect(out == [["id": "A1", "sku": "x", "qty": 1, "n": 1], ["id": "A1", "sku": "y", "qty": 2, "n": 2]])
        let (all, errors) = try Self.apply("- unnest: {path: lines, as: line, empty: error}", [order, ["id": "A2", "lines": 5]])
        #expect(all.count == 2 && all[0] == ["id": "A1", "customer": "c", "line": ["sku": "x", "qty": 1]])
        #expect(errors.map(\.code) == ["unnest.not_array"])
        let (split, splitErrors) = try Self.apply(#"- split: 'lines.{"id": $$.id, "sku": sku}'"#, [order, ["id": "A3", "lines": [["sku": 1]]]])
        #expect(split == [["id": "A1", "sku": "x"], ["id": "A1", "sku": "y"], ["id": "A3", "sku": 1]] && splitErrors.isEmpty)
        let (_, notRecords) = try Self.apply("- split: 'lines.sku'", [order])
        #expect(notRecords.map(\.code) == ["split.not_record", "split.not_record"])
    }

    @Test func aggregateSumsExactDecimalsPerGroupInTheOrderGroupsBegan() throws {
        let rows: [Value] = (0..<30).map { i in ["c": i % 3 == 0 ? "b" : "a", "amount": 0.1, "sku": .string("s\(i % 4)"),
                                                  "d": .string("2026-01-\(10 + i % 9)")] }
        let (out, errors) = try Self.apply("""
        - aggregate:
            by: [c]
            fields: {total: sum(amount), n: count(), first_day: min(d), last_day: max(d), skus: collect(sku), mean: avg(amount)}
        """, rows)
        #expect(errors.isEmpty)
        #expect(out.map { $0["c"] } == ["b", "a"])
        #expect(out[0]["total"] == 1 && out[1]["total"] == 2, "ten times 0.1 is exactly 1 (binary doubles give 0.9999999999999999)")
        #expect(out[1]["n"] == 20 && out[0]["first_day"] == "2026-01-10" && out[0]["last_day"] == "2026-01-16")
        #expect(out[0]["skus"]?.arrayValue?.count == 10 && out[1]["mean"] == 0.1)
        let (big, _) = try Self.apply("- aggregate: {fields: {t: sum(x)}}", [["x": "123456789012345.67"], ["x": "0.01"]])
        #expect(big == [["t": "123456789012345.68"]], "past 15 digits the exact total is text, not a rounded double")
        let (_, bad) = try Self.apply("- aggregate: {by: [c], fields: {t: sum(x)}}", [["c": 1, "x": 1], ["c": 1, "x": "abc"], ["c": 2, "x": 2]])
        #expect(bad.map(\.code) == ["aggregate.group_failed", "aggregate.not_number"] && bad[1].message.contains("dropped"))
        #expect(bad[0].position.line == 2 && bad[0].value == ["c": 1, "x": 1] && bad[0].message.contains("line 3"),
                "the record the group took before it failed is an error record too, not dropped silently")
        #expect(bad.allSatisfy { $0.reentersAtStep }, "a replay gives the group back to the step, in its order")
        #expect(Self.buildError("- aggregate: {fields: {t: total(x)}}")?.code == "config.aggregate")
    }

    /// At the end aggregate gives its groups a batch at a time (skipping dropped groups), and its collect() lists
    /// have a byte budget.
    @Test func aggregateGivesBatchesAndCollectHasAByteBudget() throws {
        let spec = try Self.pipeline("- aggregate: {by: [g], fields: {n: sum(x)}}")
        let step = try StepFactory.make(spec.steps[0], context: StepContext(batchSize: 4))
        var errors: [RecordError] = []
        let rows: [Value] = (0..<10).map { ["g": .number(Double($0)), "x": $0 == 1 || $0 == 2 ? "bad" : 1] }
        _ = step.process(rows.enumerated().map { Record($1, position: SourcePosition(line: $0 + 2)) }, errors: &errors)
        var batches: [[Value]] = []
        while case let more = step.finish(errors: &errors), !more.isEmpty { batches.append(more.map(\.value)) }
        #expect(batches.map(\.count) == [4, 4], "8 groups (2 dropped) in batches of 4")
        #expect(batches.flatMap { $0 }.map { $0["g"] } == [0, 3, 4, 5, 6, 7, 8, 9] && step.isIdle)
        #expect(errors.map(\.code) == ["aggregate.not_number", "aggregate.not_number"])

        let text = String(repeating: "x", count: 400_000)
        let (out, tooLarge) = try Self.apply("- aggregate: {by: [g], fields: {all: collect(t)}, max_collect_mb: 1}",
                                             (0..<4).map { ["g": .number(Double($0 / 3)), "t": .string(text)] })
        #expect(tooLarge.map(\.code) == ["aggregate.group_failed", "aggregate.group_failed", "aggregate.too_large"]
                && tooLarge[2].message.contains("1 MiB"), "\(tooLarge.map(\.code))")
        #expect(tooLarge.map(\.position.line) == [2, 3, 4] && tooLarge[0].value?["t"] == .string(text))
        #expect(out.map { $0["g"] } == [1], "the group that passed the budget is dropped, the other one fits again")
    }

    /// A group that fails after thousands of records reports each of them with its value, from the spill file past
    /// the memory limit; the file is gone from the scratch directory at once.
    @Test func aggregateReportsEveryRecordOfAFailedGroupFromItsSpillFile() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-agg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let members = AggregateMembers(scratch: scratch.path, memoryLimit: 1_000)
        var last: [AggregateMembers.Ref?] = [nil, nil]
        for i in 0..<300 {
            last[i % 2] = try members.append(Record(["i": .number(Double(i)), "pad": .string(String(repeating: "é", count: i % 7))],
                                                    position: SourcePosition(file: "in.csv", line: i + 2, key: i == 5 ? "k5" : nil)),
                                             after: last[i % 2])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "the spill file is unlinked")
        let odd = try members.chain(from: try #require(last[1]))
        #expect(odd.map { $0.value["i"] } == (0..<150).map { .number(Double($0 * 2 + 1)) })
        #expect(odd.map(\.position.line) == (0..<150).map { $0 * 2 + 3 } && odd[2].position.key == "k5")

        let pad = Value.string(String(repeating: "p", count: 4_000))  // 3,000 records of 4 kB: past the 8 MiB held in memory
        let rows: [Value] = (0..<3_000).map { ["g": "a", "x": $0 == 2_999 ? "n/a" : 1, "pad": pad] }
        let (out, errors) = try Self.apply("- aggregate: {by: [g], fields: {t: sum(x)}}", rows + [["g": "b", "x": 1]],
                                           context: StepContext(scratchDirectory: scratch.path))
        #expect(out == [["g": "b", "t": 1]])
        #expect(errors.count == 3_000 && errors.last?.code == "aggregate.not_number" && errors.last?.position.line == 3_001)
        #expect(errors.dropLast().map(\.position.line) == Array(2...3_000) && errors[2_998].value == rows[2_998])

        // Past max_spill_mb the records are no longer kept: a group failing then fails the run instead of losing them.
        let spillFailure = Self.buildError("- aggregate: {by: [g], fields: {t: sum(x)}, max_spill_mb: 1}",
                                           rows: Array(rows.prefix(400)) + [["g": "a", "x": "n/a"]])
        #expect(spillFailure?.code == "aggregate.spill" && spillFailure?.message.contains("max_spill_mb") == true,
                "\(spillFailure.map { "\($0)" } ?? "no failure")")
    }

    /// A forgotten key lets its record through again and is not stored; the memory still keeps at most max_keys.
    @Test func dedupeForgetsByPositionAndStoresOnlyWhatGotThrough() throws {
        let spec = try Self.pipeline("- dedupe: {key: [k], scope: pipeline, max_keys: 2}")
        let step = try #require(try StepFactory.make(spec.steps[0]) as? DedupeStep)
        var errors: [RecordError] = []
        func pass(_ k: String, line: Int) -> Bool {
            !step.process([Record(["k": .string(k)], position: SourcePosition(line: line))], errors: &errors).isEmpty
        }
        #expect(pass("a", line: 2) && !pass("a", line: 3))
        step.forget([SourcePosition(line: 2)])
        #expect(pass("a", line: 4), "the key of the failed record is forgotten")
        #expect(step.snapshot()["count"] == 1)
        step.forget([SourcePosition(line: 4)])
        #expect(step.snapshot()["count"] == 1, "after a snapshot, what came before is final")
        #expect(pass("b", line: 5) && pass("c", line: 6) && pass("a", line: 7), "a fell off: max_keys is 2")
        #expect(step.snapshot()["count"] == 2)
    }

    /// 100 spilled runs merge through a heap with at most 64 files open (a first pass merges 64 into one), stably;
    /// a spill folder that a killed process left is swept, one of a live process is not.
    @Test func sortMergesManyRunsWithBoundedOpenFilesAndSweepsAKilledRunsFolder() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-sort-test-\(UUID().uuidString)").path
        let dead = "\(scratch)/onramp-sort-2147483646-\(UUID().uuidString)", live = "\(scratch)/onramp-sort-\(getpid())-other"
        for dir in [dead, live] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let spec = try PipelineLoader.parse("""
        version: 1
        name: t
        source: {connector: csv, config: {path: x.csv}}
        steps:
          - sort: {by: [k], max_in_memory: 100}
        destination: {connector: file, config: {path: out.ndjson}}
        """)
        let step = try #require(try StepFactory.make(spec.steps[0], context: StepContext(scratchDirectory: scratch)) as? SortStep)
        var errors: [RecordError] = []
        let input: [Value] = (0..<10_000).map { i in ["k": .number(Double((i * 7919) % 1_000)), "i": .number(Double(i))] }
        for start in stride(from: 0, to: input.count, by: 100) {
            _ = step.process(input[start..<start + 100].map { Record($0) }, errors: &errors)
        }
        var out = step.finish(errors: &errors)
        #expect(step.openRunFiles > 0 && step.openRunFiles <= SortStep.fanIn, "\(step.openRunFiles) files open")
        while case let more = step.finish(errors: &errors), !more.isEmpty { out += more }
        #expect(step.failure == nil && errors.isEmpty && out.count == 10_000)
        let expected = input.enumerated().sorted { a, b in
            let (ka, kb) = (a.element["k"]!.numberValue!, b.element["k"]!.numberValue!)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
        #expect(out.map(\.value) == expected, "sorted, ties in input order")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == ["onramp-sort-\(getpid())-other"])
    }

    @Test func sortSpillsPastItsLimitAndMergesStablyLeavingNoFiles() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-sort-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let input: [Value] = (0..<2_500).map { i in ["k": .number(Double((i * 7919) % 100)), "i": .number(Double(i)), "s": .string("x\(i % 3)")] }
        let (out, errors) = try Self.apply("- sort: {by: [-s, k], max_in_memory: 100}", input, context: StepContext(scratchDirectory: scratch))
        #expect(errors.isEmpty && out.count == 2_500)
        let expected = input.enumerated().sorted { a, b in
            let (sa, sb) = (a.element["s"]!.stringValue!, b.element["s"]!.stringValue!)
            if sa != sb { return sa > sb }
            let (ka, kb) = (a.element["k"]!.numberValue!, b.element["k"]!.numberValue!)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
        #expect(out == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "the spill files are gone")
        let (small, _) = try Self.apply("- sort: {by: [k]}", [["k": "b"], ["k": nil], ["k": 2], ["k": "a"]])
        #expect(small == [["k": nil], ["k": 2], ["k": "a"], ["k": "b"]])
    }

    @Test func castReadsERPFormatsAndNamesTheFieldThatDoesNotConvert() throws {
        let steps = """
        - cast:
            fields:
              amount: {type: decimal, decimal_separator: ","}
              qty: integer
              paid: boolean
              day: {type: date, format: DD.MM.YYYY}
              note: string
        """
        let (out, errors) = try Self.apply(steps, [
            ["amount": "1234,56", "qty": "3", "paid": "Ja", "day": "03.11.2026", "note": 12],
            ["amount": "x", "qty": 1, "paid": "N", "day": "03.11.2026"],
            ["amount": nil, "qty": "2.5", "paid": "y"],
            ["paid": "maybe"],
        ])
        #expect(out == [["amount": 1234.56, "qty": 3, "paid": true, "day": "2026-11-03", "note": "12"]])
        #expect(errors.map(\.code) == ["cast.decimal", "cast.integer", "cast.boolean"])
        #expect(errors.map(\.field) == ["amount", "qty", "paid"] && errors[0].message.hasPrefix("amount: "))
        #expect(errors[1].value == ["amount": nil, "qty": "2.5", "paid": "y"],
                "a record that fails is reported as it came, not with the fields converted before the failing one")

        // In place on records the engine gives up: the same output, and the caller's own copy is left as it was.
        let step = try StepFactory.make(try Self.pipeline(steps).steps[0])
        let kept: [Record] = [Record(["amount": "1,50", "qty": "2", "nested": ["a": 1]]), Record(["qty": "x"])]
        var taken = kept
        var takenErrors: [RecordError] = []
        step.process(taking: &taken, errors: &takenErrors)
        #expect(taken.map(\.value) == [["amount": 1.5, "qty": 2, "nested": ["a": 1]]] && takenErrors.map(\.code) == ["cast.integer"])
        #expect(kept[0].value == ["amount": "1,50", "qty": "2", "nested": ["a": 1]])
        var nested: Value = ["a": ["b": 1, "c": 2], "d": 3]
        let snapshot = nested
        #expect(try FieldPath("a.b", at: "x").set(5, in: &nested) && nested == ["a": ["b": 5, "c": 2], "d": 3])
        #expect(!(try FieldPath("d.e", at: "x").set(5, in: &nested)) && nested == ["a": ["b": 5, "c": 2], "d": 3])
        #expect(try FieldPath("f.g", at: "x").set(nil, in: &nested) == false && nested == ["a": ["b": 5, "c": 2], "d": 3])
        #expect(snapshot == ["a": ["b": 1, "c": 2], "d": 3], "a change in place does not reach a copy taken before")
        let (overlapped, _) = try Self.apply("- cast: {fields: {a: string, a.b: integer}, on_error: set_null}",
                                             [["a": ["b": "5"]], ["a": "7"]])
        #expect(overlapped == [["a": nil], ["a": "7"]], "overlapping paths are cast one after another, as written")
        let (nulled, none) = try Self.apply("- cast: {fields: {qty: integer}, on_error: set_null}", [["qty": "a"]])
        #expect(nulled == [["qty": nil]] && none.isEmpty)
        #expect(Self.buildError("- cast: {fields: {d: date}}")?.message.contains("format") == true)
        #expect(Self.buildError("- cast: {fields: {d: money}}")?.code == "config.enum")
    }

    @Test func defaultCoalesceAndCleanTidyFields() throws {
        let (out, _) = try Self.apply("""
        - clean: {case: upper}
        - default: {fields: {currency: EUR, "ship.country": DE}}
        - coalesce: {fields: {city: [ship_city, bill_city]}}
        """, [["name": "  m\u{00FC}ller \t\n gmbh\u{0007} ", "currency": " ", "ship_city": "", "bill_city": "e\u{0301}vry",
               "ship": ["country": nil]]])
        #expect(out == [["name": "MÜLLER GMBH", "currency": "EUR", "ship_city": "", "bill_city": "ÉVRY", "ship": ["country": "DE"],
                         "city": "ÉVRY"]])
        #expect(out[0]["bill_city"]?.stringValue?.unicodeScalars.count == 4, "NFC composes e + ◌́")
        let (only, _) = try Self.apply("- clean: {fields: [a], collapse_spaces: false, empty_as_null: true}", [["a": " x  y ", "b": " b "], ["a": "  "]])
        #expect(only == [["a": "x  y", "b": " b "], ["a": nil]])
    }

    @Test func routeToTheErrorReportAndScript() throws {
        let (out, errors) = try Self.apply("""
        - route: {when: "amount < 0", code: refund.not_supported, message: refunds go through the ERP}
        - script: '( $t := amount * 2; amount > 5 ? [$merge([$, {"t": $t}]), {"copy": true}] : $merge([$, {"t": $t}]) )'
        """, [["amount": 1], ["amount": -1], ["amount": 10]])
        #expect(out == [["amount": 1, "t": 2], ["amount": 10, "t": 20], ["copy": true]])
        #expect(errors.map(\.code) == ["refund.not_supported"] && errors[0].message == "refunds go through the ERP")
        #expect(Self.buildError("- route: {when: 'true'}")?.code == "config.route")
        let (_, scriptErrors) = try Self.apply("- script: '42'", [["a": 1]])
        #expect(scriptErrors.map(\.code) == ["script.not_record"])
    }

    /// A pipeline holding only `steps` (YAML list items).
    static func pipeline(_ steps: String) throws -> PipelineSpec {
        try PipelineLoader.parse("""
        version: 1
        name: t
        source: {connector: csv, config: {path: x.csv}}
        steps:
        \(steps.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        destination: {connector: file, config: {path: out.ndjson}}
        """)
    }

    /// A pipeline holding only `spec`'s documented example step.
    static func examplePipeline(_ spec: StepSpec) throws -> PipelineSpec { try pipeline(spec.example) }

    /// Every step type has a schema with titled properties and an example that builds.
    @Test func everyStepHasASchemaAndAWorkingExample() throws {
        #expect(StepFactory.specs.count == 19)
        for spec in StepFactory.specs {
            #expect(!spec.summary.isEmpty && spec.configSchema["type"] != nil, "\(spec.name)")
            if case .object(let props)? = spec.configSchema["properties"] {
                for (k, p) in props { #expect(p["title"] != nil || p["type"] != nil, "\(spec.name).\(k)") }
            }
            let doc = try Self.examplePipeline(spec)
            #expect(doc.steps.count == 1 && doc.steps[0].type == spec.name)
            _ = try StepFactory.make(doc.steps[0], context: StepContext(validating: true))
        }
    }

    /// Every number a step's schema declares, set to values out of any range (as a hostile tenant would), is an
    /// error naming its path or accepted: never a trap (group's `max_groups: 1e300` crashed the process).
    @Test func outOfRangeNumbersInEveryStepAreErrorsNotTraps() throws {
        for spec in StepFactory.specs {
            let example = try Self.examplePipeline(spec).steps[0]
            guard case .object(let props)? = spec.configSchema["properties"], case .object(let base) = example.config else {
                continue
            }
            for (name, property) in props where ["integer", "number"].contains(property["type"]?.stringValue ?? "") {
                for hostile: Value in [1e300, -1e300, 1.5, "12"] {
                    var config = base
                    config[name] = hostile
                    var step = example
                    step.config = .object(config)
                    do {
                        _ = try StepFactory.make(step, context: StepContext(validating: true))
                    } catch let e as OnrampError {
                        #expect(e.location?.hasSuffix(name) == true, "\(spec.name).\(name) = \(hostile): \(e)")
                    }
                }
            }
        }
    }

    /// docs/steps.md has a section per step with the table and example its spec generates today.
    @Test func theStepsGuideIsCurrent() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/steps.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        for spec in StepFactory.specs { #expect(text.contains("<!-- config:step/\(spec.name) -->"), "\(spec.name)") }
        #expect(ConnectorRegistry().updatingConfigTables(in: text, extra: StepFactory.docsRegions) == text,
                "docs/steps.md is out of date: run `onramp connectors --update-docs docs/steps.md`")
    }
}
