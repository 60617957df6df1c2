import Foundation
import OnrampCore
import OnrampExpression
import Testing

@Suite struct ConformanceTests {
    static let root = Bundle.module.url(forResource: "jsonata-suite", withExtension: nil, subdirectory: "Fixtures")!

    /// Every case not in the committed known-failures list passes; the list only shrinks.
    @Test func suiteDoesNotRegress() throws {
        let known = Set(try String(contentsOf: Bundle.module.url(forResource: "known-failures", withExtension: "txt", subdirectory: "Fixtures")!, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
        let outcomes = try ConformanceSuite(root: Self.root).run()
        #expect(outcomes.count == 1686)
        let regressions = outcomes.filter { !$0.passed && !known.contains($0.name) }
        #expect(regressions.isEmpty, "\(regressions.prefix(10).map { "\($0.name): \($0.detail)" })")
        let fixed = outcomes.filter { $0.passed && known.contains($0.name) }
        #expect(fixed.isEmpty, "now passing, remove from known-failures.txt: \(fixed.map(\.name))")
    }
}

@Suite struct ExpressionTests {
    @Test func compiledExpressionIsSharedAcrossTasks() async throws {
        let expr = try JSONata("$sum(items.(price * qty))")
        let input: Value = ["items": [["price": 2.5, "qty": 2], ["price": 1, "qty": 3]]]
        let results = try await withThrowingTaskGroup(of: Value?.self) { group in
            for _ in 0..<32 { group.addTask { try expr.evaluate(input) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 == .number(8) })
    }

    @Test func errorsCarryCodeAndPosition() {
        do { _ = try JSONata("Account.(Order"); Issue.record("no error") } catch { #expect(error.code == "S0203") }
        do { _ = try JSONata("1 + \"a\"").evaluate(nil); Issue.record("no error") } catch {
            #expect(error.code == "T2002" && error.position == 3)
        }
    }

    @Test func depthAndTimeGuards() throws {
        let loop = try JSONata("($f := function($n) { $n + $f($n) }; $f(1))")
        #expect(throws: JSONataError.self) { try loop.evaluate(nil, limits: .init(maxDepth: 200, timeout: .seconds(5))) }
        let tail = try JSONata("($f := function($n, $acc) { $n = 0 ? $acc : $f($n - 1, $acc + 1) }; $f(20000, 0))")
        #expect(try tail.evaluate(nil, limits: .init(maxDepth: 200, timeout: .seconds(20))) == .number(20000))
        let spin = try JSONata("($f := function($n) { $f($n) }; $f(1))")
        do { _ = try spin.evaluate(nil, limits: .init(maxDepth: 200, timeout: .milliseconds(100))); Issue.record("no error") } catch {
            #expect(error.code == "U1001" && error.message.contains("timeout"))
        }
    }

    @Test func blocksScopeTheirBindings() throws {
        // A block that binds gets its own scope; one that only reads sees the enclosing one.
        #expect(try JSONata("($x := 1; ($x := 2; $y := 3); [$x, $y])").evaluate(nil) == [1])
        #expect(try JSONata("($x := 3; ($x * 2))").evaluate(nil) == .number(6))
        #expect(try JSONata("($e := $eval; ($e('$z := 5'); $z); $z)").evaluate(nil) == nil)
        #expect(try JSONata("Product.(Price * Quantity)").evaluate(["Product": [["Price": 2, "Quantity": 3], ["Price": 1.5, "Quantity": 2]]]) == [6, 3])
    }

    /// The input is read in place and plain objects are built as JSON; these are the cases where
    /// that must not change a result.
    @Test func inputReadInPlaceAndJSONObjects() throws {
        let input: Value = ["items": [["name": "x", "n": 1], ["name": "y", "n": 2]], "nested": [[["name": "p"]], ["name": "q"]]]
        #expect(try JSONata("$join([\"\", \"a\", \"\"], \",\")").evaluate(nil) == ",a,")
        #expect(try JSONata("$join(items.name, \"-\")").evaluate(input) == "x-y")
        #expect(try JSONata("{\"a\": missing, \"b\": 1}").evaluate(input) == ["b": 1])
        #expect(try JSONata("{\"a\": 1, \"f\": function($v) { $v * 2 }, \"c\": 2}.f(5)").evaluate(nil) == .number(10))
        #expect(try JSONata("{\"a\": 1, \"f\": function($v) { $v }, \"c\": 2}").evaluate(nil) == ["a": 1, "f": "", "c": 2])
        #expect(try JSONata("{\"s\": items.name}.s").evaluate(input) == ["x", "y"])
        #expect(try JSONata("{\"s\": items.name}.s[1]").evaluate(input) == "y")
        #expect(try JSONata("nested.name").evaluate(input) == ["p", "q"])
        #expect(try JSONata("items[n > 1].name").evaluate(input) == "y")
        #expect(try JSONata("items.name[]").evaluate(["items": [["name": "x"]]]) == ["x"])
        #expect(try JSONata("$sum(items.(n * 10))").evaluate(input) == .number(30))
        #expect(try JSONata("items[0] = items[0]").evaluate(input) == true)
    }

    @Test func extraFunctionsAndBindings() throws {
        var registry = JSONata.FunctionRegistry()
        registry.register("double", signature: "<n:n>") { args in .number((args[0]?.numberValue ?? 0) * 2) }
        #expect(try JSONata("$double($x)").evaluate(nil, bindings: ["x": 21], functions: registry) == .number(42))
    }
}
