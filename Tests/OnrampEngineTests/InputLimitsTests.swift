import Foundation
import OnrampCore
import OnrampEngine
import OnrampExpression
import OnrampTransforms
import Testing

/// Pipeline documents and cleansing functions on hostile input: errors, never traps.
@Suite struct InputLimitsTests {
    @Test func deepYAMLIsAnErrorNotAStackOverflow() throws {
        let deep = "- " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        do {
            _ = try PipelineLoader.document(deep, file: "deep.yaml")
            Issue.record("no error")
        } catch let e as OnrampError {
            #expect(e.code == "spec.syntax")
        }
        let shallow = "a: " + String(repeating: "[", count: 100) + "1" + String(repeating: "]", count: 100)
        #expect(try PipelineLoader.document(shallow, file: "ok.yaml").objectValue?["a"] != nil)
    }

    @Test func cleansingFunctionsRefuseHugeNumbers() throws {
        func code(_ source: String) -> String? {
            do { _ = try JSONata(source).evaluate(nil, functions: CleansingFunctions.registry); return nil } catch {
                return error.code
            }
        }
        #expect(code(#"$parseDate("99999999999999999999.1.1", "YY.MM.DD")"#) != nil)
        #expect(code(#"$parseDate("9223372036854775807.1.1", "YY.MM.DD")"#) != nil)
        #expect(code(#"$parseDecimal("1\#(String(repeating: "0", count: 400))")"#) != nil)
        // An empty separator is the same as none given: inferred, so the lone comma is the decimal one
        // (the first release read "" as '.', making this 15).
        #expect(try JSONata(#"$parseDecimal("1,5", "")"#).evaluate(nil, functions: CleansingFunctions.registry) == 1.5)
        let date = try JSONata(#"$parseDate("03.11.2026", "DD.MM.YYYY")"#)
        #expect(try date.evaluate(nil, functions: CleansingFunctions.registry) == "2026-11-03")
    }
}
