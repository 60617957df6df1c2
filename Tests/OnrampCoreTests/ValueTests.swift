import Foundation
@testable import OnrampCore
import Testing

@Suite struct JSONTests {
    @Test func roundTripsKeyOrderAndNumbers() throws {
        let text = #"{"b":1,"a":[true,null,"x\n\"y"],"m":19.99,"big":1e+21,"small":1e-7,"neg":-0.5}"#
        let v = try JSONParser.parse(text)
        #expect(JSONWriter.string(v) == text)
    }

    @Test(arguments: [(0.1 + 0.2, "0.30000000000000004"), (100.0, "100"), (1e21, "1e+21"), (123456789012345680000.0, "123456789012345680000"),
                      (0.000001, "0.000001"), (1.5e-7, "1.5e-7"), (-2.5, "-2.5")])
    func numbersPrintAsJavaScript(_ d: Double, _ expected: String) {
        #expect(NumberFormatting.javaScript(d) == expected)
    }

    /// Numbers written directly (the bulk path) read as `NumberFormatting.javaScript` prints them.
    @Test func directNumbersMatchJavaScriptText() throws {
        var numbers: [Value] = [0, -0.0, 1, -1, 999_999_999_999_999, 1e15, -1e15, 12.5, -0.001, 1e-7, 1e21, .number(.infinity)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let magnitude = Double.random(in: -8...22, using: &generator)
            let d = (Bool.random(using: &generator) ? 1 : -1) * Double.random(in: 1...10, using: &generator) * pow(10, magnitude.rounded())
            numbers.append(.number(Bool.random(using: &generator) ? d.rounded() : d))
        }
        let doc: Value = ["n": .array(numbers), "empty": "", "s": "tab\tquote\"é\u{01}", "o": ["a": [], "b": [:], "c": nil, "d": true]]
        var out: [UInt8] = []
        JSONWriter.write(doc, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == JSONWriter.string(doc, number: NumberFormatting.javaScript))
    }

    @Test func hexIsLowerCaseTwoDigitsPerByte() {
        #expect(Hex.string([0x00, 0x0f, 0xab, 0xff]) == "000fabff")
    }

    @Test func errorsNameLineAndColumn() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("{\n  \"a\": tru\n}") }
        do { _ = try JSONParser.parse("{\n  \"a\": tru\n}") } catch { #expect(error.line == 2 && error.column == 8) }
    }

    /// Records written with the key memo read exactly as written one by one: shared keys, the same names in other
    /// storage, other names, other orders, escapes, nesting, empty objects and values that are not objects.
    @Test func recordsWrittenWithTheKeyMemoMatchTheirOwnText() {
        let shared: Value.Object = ["id": 1, "na\"me": "x", "lines": [["q": 1]]]
        var second = shared
        second.values[0] = 2
        let records: [Value] = [.object(shared), .object(second), ["id": 3, "na\"me": "y", "lines": []],
                                ["na\"me": "z", "id": 4, "lines": .null], [:], "text", 5, .object(shared),
                                ["id": 6], ["id\n": 7, "b": ["c": true]], .object(second),
                                ["caf\u{E9}": 1], ["cafe\u{301}": 2]]   // NFC then NFD: equal as Strings, not as bytes
        var memo = JSONWriter.KeyMemo()
        var memoText: [UInt8] = []
        var plainText: [UInt8] = []
        for r in records {
            JSONWriter.write(record: r, into: &memoText, memo: &memo)
            memoText.append(0x0A)
            JSONWriter.write(r, into: &plainText)
            plainText.append(0x0A)
        }
        #expect(String(decoding: memoText, as: UTF8.self) == String(decoding: plainText, as: UTF8.self))
    }
}

@Suite struct PipelineSpecTests {
    func spec(_ v: Value) throws(OnrampError) -> PipelineSpec { try PipelineSpec(from: v) }
    let valid: Value = ["version": 1, "name": "p", "source": ["connector": "csv", "config": ["path": "x.csv"]],
                        "destination": ["connector": "file", "config": ["path": "o.ndjson"]], "steps": [["map": "$"]]]

    @Test func acceptsAValidDocument() throws {
        let s = try spec(valid)
        #expect(s.steps.count == 1 && s.steps[0].type == "map" && s.batchSize == 500)
    }

    @Test func unknownKeysAndWrongTypesNameTheirPath() {
        var v = valid.objectValue!
        v["sauce"] = "x"
        #expect(throws: OnrampError.self) { try spec(.object(v)) }
        do { _ = try spec(.object(v)) } catch { #expect(error.location == "sauce") }
        var w = valid.objectValue!
        w["steps"] = [["map": "$"], ["map": "$", "filter": "true"]]
        do { _ = try spec(.object(w)); Issue.record("no error") } catch { #expect(error.location == "steps[1]") }
        var e = valid.objectValue!
        e["errors"] = ["max_failed_ratio": 2]
        do { _ = try spec(.object(e)); Issue.record("no error") } catch { #expect(error.location == "errors.max_failed_ratio") }
    }
}

/// The fast decimal paths give exactly what the general parser and printer give.
@Suite struct ExactDecimalTests {
    @Test func fastParsingAndConversionMatchTheGeneralOnes() {
        var rng = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "0.00", "1", "-1", "123.45", "0.1", "1e21", "1e-7", "-1.5e-7", "123456789012345678",
                     "1234567890123456789", "12345678901234567890", "00012.50", ".5", "5.", "9007199254740993", "0.000001"]
        for _ in 0..<20_000 {
            var x = Double(Int64.random(in: -10_000_000_000...10_000_000_000, using: &rng))
            for _ in 0..<Int.random(in: 0...6, using: &rng) { x /= 10 }
            texts.append(NumberFormatting.javaScript(x))
        }
        let posix = Locale(identifier: "en_US_POSIX")
        for text in texts {
            let general = Decimal(string: text, locale: posix)
            if let fast = ExactDecimal.parse(text) { #expect(fast == general, "\(text)") }
            if let general { #expect(ExactDecimal.double(general) == Double(ExactDecimal.text(general)), "\(text)") }
        }
        #expect(ExactDecimal.parse("12345678901234567890") == nil && ExactDecimal.parse("1e") == nil)
        #expect(ExactDecimal.decimal(.number(0.1)).map(ExactDecimal.text) == "0.1")
        #expect(ExactDecimal.decimal("-12.50").map(ExactDecimal.text) == "-12.5")
    }
}

extension ExactDecimalTests {
    /// Money-like numbers printed by the short-decimal path read as Swift's (and JavaScript's) shortest text.
    @Test func shortDecimalsPrintAsTheShortestText() {
        var rng = SystemRandomNumberGenerator()
        var numbers: [Double] = [0.1, 0.3, 2.675, 0.0001, -0.0001, 123456789012.34, 99999999999999.9, 0.10000000000000002]
        for _ in 0..<50_000 {
            var x = Double(Int64.random(in: -100_000_000_000_000...100_000_000_000_000, using: &rng))
            for _ in 0..<Int.random(in: 1...6, using: &rng) { x /= 10 }
            numbers.append(x)
        }
        for d in numbers where d != d.rounded() && abs(d) >= 1e-4 && abs(d) < 1e15 {
            var bytes: [UInt8] = []
            guard NumberFormatting.writeShortDecimal(d, into: &bytes) else { continue }
            #expect(String(decoding: bytes, as: UTF8.self) == d.description, "\(d)")
        }
    }
}

@Suite struct CSVTextTests {
    /// Fields with a comma, quote or line break are quoted (a CRLF pair too: it is one Character, and was missed when
    /// fields were searched by Character), quotes doubled; others are written as they are.
    @Test func quotesWhatNeedsQuoting() {
        #expect(CSVText.line(["a", "b,c", #"say "hi""#, "x\r\ny", "é\u{301}"]) == "a,\"b,c\",\"say \"\"hi\"\"\",\"x\r\ny\",é\u{301}\r\n")
        #expect(CSVText.parseLine(String(CSVText.line(["1", "two, three", "\"q\""]).dropLast(2))) == ["1", "two, three", "\"q\""])
    }

    @Test func countsAreWholeNumbersInRangeAndNothingElse() {
        #expect(Value.number(3).countValue == 3 && Value.number(0).countValue == 0)
        for v: Value in [.number(-1), .number(1.5), .number(1e300), .number(.infinity), .string("3"), .null] {
            #expect(v.countValue == nil, "\(v)")
        }
    }
}
