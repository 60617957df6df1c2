/// The fixed ceilings that keep one expression from taking the process down: nesting (the stack),
/// string and array sizes (memory). Documented in docs/pipeline-reference.md ("Expression limits").
public enum SizeLimits {
    /// Levels of nesting an expression may have (parentheses, operators, calls, constructors): S0901 beyond,
    /// and sooner if the parser's recursion reaches the evaluation stack budget (`JSONata.Limits.maxStackBytes`).
    public static let maxNesting = 200
    /// UTF-8 bytes a string built by the evaluator may have: D9001 beyond.
    public static let maxStringBytes = 10_000_000
    /// Items an array built by the evaluator may have: D9002 beyond (ranges keep their own D2014 at 1e7).
    public static let maxArrayItems = 10_000_000
    /// Levels of arrays and objects a value the evaluator builds may nest when it is output, copied, compared
    /// or serialized: D9003 beyond (the JSON parsers' own limit, so any output parses again).
    public static let maxValueDepth = 512

    /// Throws D9003 when a container at `depth` (0: the outermost) is past the nesting limit.
    @inline(__always)
    static func checkDepth(_ depth: Int) throws(JSONataError) {
        if depth >= maxValueDepth { throw tooDeep() }
    }

    @inline(never)
    static func tooDeep() -> JSONataError {
        JSONataError("D9003", extra: ["limit": String(maxValueDepth)])
    }

    /// Throws D9001 when a string of `bytes` UTF-8 bytes would be over the limit.
    @inline(__always)
    static func checkString(_ bytes: Int) throws(JSONataError) {
        if bytes > maxStringBytes { throw stringTooLong(bytes) }
    }

    /// Throws D9002 when an array of `count` items would be over the limit.
    @inline(__always)
    static func checkItems(_ count: Int) throws(JSONataError) {
        if count > maxArrayItems { throw tooManyItems(count) }
    }

    @inline(never)
    static func stringTooLong(_ bytes: Int) -> JSONataError {
        JSONataError("D9001", value: .number(Double(bytes)), extra: ["limit": String(maxStringBytes)])
    }

    @inline(never)
    static func tooManyItems(_ count: Int) -> JSONataError {
        JSONataError("D9002", value: .number(Double(count)), extra: ["limit": String(maxArrayItems)])
    }

    /// `d` as an Int for index and count arithmetic: truncated toward zero and clamped to ±2^53
    /// (sums of two stay in range); NaN is 0. Use where JavaScript would clamp or wrap silently.
    static func clampedInt(_ d: Double) -> Int {
        if d.isNaN { return 0 }
        let bound = 9_007_199_254_740_992.0
        if d >= bound { return Int(bound) }
        if d <= -bound { return -Int(bound) }
        return Int(d.rounded(.towardZero))
    }

    /// `d` as an Int when it is finite and within ±`bound`; nil otherwise.
    static func exactInt(_ d: Double, within bound: Double = 9_007_199_254_740_992) -> Int? {
        guard d.isFinite, Swift.abs(d) <= bound else { return nil }
        return Int(d.rounded(.towardZero))
    }
}
