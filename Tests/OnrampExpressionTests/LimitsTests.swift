import Foundation
import OnrampCore
import OnrampExpression
import Testing

/// Inputs that used to trap, overflow the stack or stall the process: each is now an error (or the
/// result jsonata-js gives) and comes back quickly.
@Suite struct LimitsTests {
    /// The error code `source` fails with, checked to come back within five seconds (debug build, tests
    /// running beside it; the stalls these guard against took minutes).
    static func code(_ source: String, _ input: Value? = nil, timeout: Duration = .seconds(10)) -> String? {
        let start = ContinuousClock.now
        defer { #expect(ContinuousClock.now - start < .seconds(5), "\(source.prefix(60)) took too long") }
        do {
            _ = try JSONata(source).evaluate(input, limits: .init(timeout: timeout))
            return nil
        } catch {
            return error.code
        }
    }

    static func value(_ source: String) throws -> Value? {
        let start = ContinuousClock.now
        defer { #expect(ContinuousClock.now - start < .seconds(5), "\(source.prefix(60)) took too long") }
        return try JSONata(source).evaluate(nil)
    }

    /// The result as JSON text, or the error's code.
    /// The result as JSON, or the error's code. The 60 s timeout is for a loaded CI machine: these
    /// cases are about stack depth, and a debug build takes seconds for some of them.
    @Sendable static func outcome(_ source: String) -> String {
        do { return JSONWriter.string(try JSONata(source).evaluate(nil, limits: .init(timeout: .seconds(60))) ?? .null) } catch {
            return error.code
        }
    }

    /// Runs `body` on a thread with a small stack, as secondary threads have, and returns its result.
    /// Debug builds' frames are many times larger than release ones, so they get 8 MiB (the evaluator
    /// and the parser may use 6 MiB there).
    static func onSmallStack<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        // Awaited, not waited for: a test that blocked a concurrency thread for seconds starved other tests'
        // heartbeats into lease takeovers.
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = smallStack
            thread.start()
        }
    }

    @Test func hugeNumericArgumentsAreErrorsNotTraps() {
        #expect(Self.code(#"$pad("x", 1e300)"#) == "D9001")
        #expect(Self.code(#"$round(1, 1e300)"#) == "D1001")
        #expect(Self.code(#"$round(1, -1e300)"#) == "D1001")
        #expect(Self.code(#"$formatBase(1e300)"#) == "D1001")
        #expect(Self.code(#"$formatBase(10, 1e300)"#) == "D3100")
        #expect(Self.code(#"$formatInteger(1e300, "I")"#) == "D9001")
        #expect(Self.code(#"$formatInteger(1e308 * 10, "w")"#) == "D1001")
        #expect(Self.code(#"$formatNumber(1e308 * 10, "0.0e0")"#) == "D1001")
        #expect(Self.code(#"$fromMillis(1e300)"#) == "D1001")
        #expect(Self.code(#"$fromMillis(0, "[Y]", "99999999999999999")"#) == "D1001")
        #expect(Self.code(#"$toMillis("99999999999999999999", "[Y]")"#) == "D1001")
        #expect(Self.code(#"$toMillis("+999999999999999999", "[Z0000]")"#) == "D1001")
        #expect(Self.code(#"$formatNumber(1, "0", {"zero-digit": "\uD7FF"})"#) == "D3131")
        #expect(Self.code(#"[Infinity..Infinity]"#, ["Infinity": .number(.infinity)]) == "D2014")
    }

    /// Where jsonata-js clamps (JavaScript numbers are never out of range for a slice), so do we.
    @Test func hugeIndexesClampAsJavaScriptDoes() throws {
        #expect(try Self.value(#"$substring("abc", 1e300)"#) == "")
        #expect(try Self.value(#"$substring("abc", -1e300, 1e300)"#) == "abc")
        #expect(try Self.value(#"$split("a,b", ",", 1e300)"#) == ["a", "b"])
        #expect(try Self.value(#"[1e300..1e300]"#) == [1e300])
        #expect(try Self.value(#"[1,2,3][1e300]"#) == nil)
        #expect(try Self.value(#"[1,2,3][-1e300]"#) == nil)
        #expect(try Self.value(#"$formatInteger(1e20, "A")"#)?.stringValue?.isEmpty == false)
        // A matcher function may return any offsets: they are clamped to the string.
        let matcher = #"function($s) { {"match": "b", "start": 1e300, "end": -1e300, "groups": []} }"#
        #expect(try Self.value("$split(\"abc\", \(matcher))") == ["abc", "abc"])
        #expect(try Self.value("$replace(\"abc\", \(matcher), \"x\")") == "abcx")
    }

    @Test func stringsStopAtTheSizeLimitBeforeAllocating() {
        #expect(Self.code(#"$pad("", 1e9)"#) == "D9001")
        #expect(Self.code(#"$pad("", -1e9, "ab")"#) == "D9001")
        #expect(Self.code(#"($s := $pad("", 6000000); $s & $s)"#) == "D9001")
        #expect(Self.code(#"($s := $pad("", 4000000); $join([$s, $s, $s]))"#) == "D9001")
        #expect(Self.code(#"($s := $pad("", 6000000); $string([$s, $s]))"#) == "D9001")
        #expect(Self.code(#"$replace($pad("", 100000, "a"), "a", $pad("", 200, "b"))"#) == "D9001")
        #expect(Self.code(#"$fromMillis(0, "[Y,99999999999]")"#) == "D9001")
        #expect(SizeLimits.maxStringBytes == 10_000_000)
    }

    /// The time limit reaches into built-in loops that evaluate no expression nodes.
    @Test func slowBuiltinsSeeTheDeadline() {
        let start = ContinuousClock.now
        #expect(Self.code("$distinct([1..30000])", timeout: .milliseconds(200)) == "U1001")
        // A regular expression that backtracks exponentially: the match itself watches the clock.
        let line = String(repeating: "a", count: 40) + "!"
        #expect(Self.code("$match(\"\(line)\", /(a+)+$/)", timeout: .milliseconds(200)) == "U1001")
        #expect(Self.code("$replace(\"\(line)\", /(a+)+$/, \"x\")", timeout: .milliseconds(200)) == "U1001")
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func deepNestingIsAnErrorWithItsPosition() throws {
        for source in [String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000),
                       String(repeating: "[", count: 20_000), String(repeating: "-", count: 20_000) + "1",
                       "1" + String(repeating: "+1", count: 100_000), "a" + String(repeating: "[0]", count: 20_000),
                       String(repeating: "$f(", count: 20_000), String(repeating: "{\"a\":", count: 20_000)] {
            do {
                _ = try JSONata(source)
                Issue.record("no error for \(source.prefix(20))")
            } catch {
                #expect(error.code == "S0901", "\(source.prefix(20)): \(error)")
                #expect(error.position != nil && error.position! > 0)
            }
        }
        let comments = String(repeating: "/* c */ ", count: 100_000) + "1"
        #expect(try JSONata(comments).evaluate(nil) == 1)
    }

    /// Inputs the fuzzer (scripts/fuzz.sh jsonata) found crashing, kept as cases.
    @Test func fuzzerFindings() async throws {
        // A marker whose component is the comma itself: the presentation range was reversed (a trap).
        #expect(Self.code("$fromMillis(1531310400000, '[Y]-[M01]-[,01]T[H01]')") == "D3132")
        // A non-tail recursion seed from the suite overflowed a 512 KiB stack before the depth guard (500).
        #expect(await Self.onSmallStack { Self.outcome("($inf := function($n){$n+$inf($n-1)}; $inf(5))") } == "U1001")
        // A zero-digit that is the decimal separator: stripping zeros removed the separator too (a trap).
        #expect(Self.code(#"$formatNumber(1234.5678, "00.000", {"zero-digit": "."})"#) == "D3131")
        #expect(Self.code(#"$formatNumber(1234.5678, "①①.①①①e①", {"zero-digit": ".\u0091"})"#) == "D3131")
    }

    /// An expression just inside the nesting limit compiles and evaluates on a 512 KiB stack and on a task.
    @Test func theNestingLimitFitsASmallStack() async throws {
        let depth = SizeLimits.maxNesting - 2
        let parens = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        let arrays = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        let sum = "1" + String(repeating: "+1", count: depth)
        for source in [parens, arrays, sum] {
            let onThread = await Self.onSmallStack { Self.outcome(source) }
            #expect(!onThread.hasPrefix("S") && !onThread.hasPrefix("U"), "\(source.prefix(10)): \(onThread)")
            #expect(await Task.detached { Self.outcome(source) }.value == onThread)
        }
        // Calls take more stack per level than parentheses: 198 nested calls stop at the parser's stack
        // budget (S0901) on a small stack; they used to overflow it in release builds.
        let calls = String(repeating: "$string(", count: depth) + "1" + String(repeating: ")", count: depth)
        let callCode = await Self.onSmallStack { Self.outcome(calls) }
        #expect(callCode == "S0901" || callCode == "\"1\"")
        // Recursion down to the evaluator's depth guard fails with U1001 there, not with a stack overflow.
        let recursion = "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))"
        #expect(await Self.onSmallStack { Self.outcome(recursion) } == "U1001")
    }

    /// Values an expression builds nest at most 512 levels when they are output, compared, copied or
    /// serialized (D9003); one nested 100,000 deep is that error, never a stack overflow in the writer or
    /// when it is freed, also on a small stack.
    @Test func deeplyNestedValuesAreAnErrorNotAStackOverflow() async throws {
        let builders = [
            #"$reduce([1..100000], function($a, $x) {{"a": $a}}, {})"#,
            #"$reduce([1..100000], function($a, $x) {[[$a]]}, [])"#,
            #"$reduce([1..20000], function($a, $x) {$merge([{"a": $a}, {"b": 1}])}, {})"#,
            #"$string($reduce([1..100000], function($a, $x) {{"a": $a}}, {}))"#,
            #"($d := $reduce([1..100000], function($a, $x) {{"a": $a}}, {}); $d = $reduce([1..100000], function($a, $x) {{"a": $a}}, {}))"#,
            #"$clone($reduce([1..100000], function($a, $x) {{"a": $a}}, {}))"#,
        ]
        for source in builders {
            #expect(await Self.onSmallStack { Self.outcome(source) } == "D9003", "\(source.prefix(70))")
        }
        // Walked without being output (descendants, keys, spread, boolean, paths, flatten): those walks stop at the
        // limit instead of overflowing the stack (the first four crashed the process).
        let object = #"$reduce([1..100000], function($a, $x) {{"a": $a}}, {})"#
        let arrays = #"$reduce([1..100000], function($a, $x) {[[$a]]}, [])"#
        for (source, expected) in [("$count(\(object).**)", "513"), ("$count($keys(\(arrays)))", "0"),
                                   ("$count($spread(\(arrays)))", "0"), ("$boolean(\(arrays))", "false"),
                                   ("$count(\(arrays).x)", "0"), ("$count([\(arrays)].x)", "0"), ("\(arrays) ? 1 : 2", "2")] {
            #expect(await Self.onSmallStack { Self.outcome(source) } == expected, "\(source.prefix(70))")
        }
        // Built and dropped without being output: freed without recursion.
        #expect(await Self.onSmallStack { Self.outcome(#"$count([$reduce([1..100000], function($a, $x) {{"a": $a}}, {})])"#) } == "1")
        // 511 levels are fine, and so are input documents as deep as the JSON parser allows.
        let deep = try Self.value(#"$reduce([1..511], function($a, $x) {{"a": $a}}, 1)"#)
        var levels = 0
        var v = deep
        while case .object(let o)? = v { levels += 1; v = o["a"] }
        #expect(levels == 511 && v == .number(1))
    }

    /// `a ?: b` holds `a` twice; nested, a compile pass or an evaluation that walked it as a tree took 2^depth steps
    /// (40 levels: hours). Both now come back at once, with jsonata-js's result.
    @Test func nestedElvisOperatorsCompileAndEvaluateInLinearTime() throws {
        var source = "a"
        for _ in 0..<40 { source = "(\(source) ?: 0)" }
        #expect(try Self.value("{\"a\": 7}.\(source)") == .number(7))
        #expect(try Self.value("{\"b\": 7}.\(source)") == .number(0))
    }
}

#if DEBUG
private let smallStack = 8 << 20
#else
private let smallStack = 512 << 10
#endif
