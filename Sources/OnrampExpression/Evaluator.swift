import Foundation

/// Evaluates a compiled tree against one input. One evaluator serves one evaluation: it carries the
/// depth and time guard and is never shared between tasks.
final class Evaluator {
    private var depth = 0
    private var ticks = 0
    private let deadline: UInt64
    /// Spare argument arrays, reused across calls within this evaluation.
    var argumentPool: [[JValue]] = []
    /// `$now()` and `$millis()` return the same instant throughout one evaluation.
    private(set) lazy var startMillis = (Date().timeIntervalSince1970 * 1000).rounded(.down)

    private let maxDepth: Int
    /// The lowest stack address evaluation may reach (stacks grow down): `maxStackBytes` below where it began.
    let stackFloor: UInt

    init(limits: JSONata.Limits) {
        maxDepth = limits.maxDepth
        let now = DispatchTime.now().uptimeNanoseconds
        deadline = limits.timeoutNanoseconds.map { now + $0 } ?? UInt64.max
        let here = Evaluator.stackAddress()
        stackFloor = here > UInt(limits.maxStackBytes) ? here - UInt(limits.maxStackBytes) : 0
    }

    /// An address in the caller's stack frame.
    @inline(__always)
    static func stackAddress() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }

    /// Runs on every node: the common case is three comparisons; the clock is read every 256 nodes and
    /// the stack every 16 levels (16 levels take a few KiB, well within the budget's margin).
    @inline(__always)
    private func checkLimits() throws {
        ticks &+= 1
        if depth > maxDepth || ticks & 0xFF == 0 || depth & 0xF == 0 { try checkLimitsNow() }
    }

    /// For loops inside built-in functions that evaluate no nodes: the clock is read every 256 calls.
    @inline(__always)
    func checkTime() throws {
        ticks &+= 1
        if ticks & 0xFF == 0 { try checkLimitsNow() }
    }

    @inline(never)
    private func checkLimitsNow() throws {
        if depth > maxDepth || Evaluator.stackAddress() < stackFloor {
            throw JSONataError("U1001", extra: ["message": "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."])
        }
        if ticks & 0xFF == 0 && isPastDeadline { throw Evaluator.timeout }
    }

    /// Whether the evaluation's time is up (reads the clock).
    var isPastDeadline: Bool { deadline != UInt64.max && DispatchTime.now().uptimeNanoseconds > deadline }

    static let timeout = JSONataError("U1001",
                                      extra: ["message": "Expression evaluation timeout: Check for infinite loop"])

    func evaluate(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        // Field lookups and literals, the most common nodes, take no depth and need no clean-up.
        if expr.isPlainLiteral { return expr.literal }
        if expr.isFieldLookup {
            switch input {
            case .jsonObject(let o): return JObject.value(in: o, forKey: expr.fieldKey).map(JValue.init) ?? .undefined
            case .object(let o):
                guard let v = o.value(forKey: expr.fieldKey) else { return .undefined }
                if case .array(let a) = v, a.sequence {} else { return v }
            default: break
            }
        }
        depth += 1
        try checkLimits()
        defer { depth -= 1 }
        var result: JValue
        // The common kinds are dispatched here; the rest go through one out-of-line function, which
        // keeps this hot function's frame small.
        switch expr.kind {
        case .path: result = try evaluatePath(expr, input, env)
        case .binary: result = try evaluateBinary(expr, input, env)
        case .function: result = try evaluateFunction(expr, input, env, applyTo: nil)
        case .unary: result = try evaluateUnary(expr, input, env)
        case .block: result = try evaluateBlock(expr, input, env)
        case .variable where !expr.text.isEmpty: result = env.lookup(variable: expr)
        default: result = try evaluateOther(expr, input, env)
        }
        if expr.hasTrailers { result = try evaluateTrailers(expr, result, env) }
        if expr.keepArray, case .array(let a) = result, a.sequence, !a.tupleStream { a.keepSingleton = true }
        return result.unwrappingSequence()
    }

    private func evaluateBlock(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        // A block that binds nothing reads its enclosing scope; it needs no frame of its own.
        let frame = expr.bindsVariables ? Frame(parent: env) : env
        var result: JValue = .undefined
        for e in expr.expressions { result = try evaluate(e, input, frame) }
        return result
    }

    @inline(never)
    private func evaluateOther(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        switch expr.kind {
        case .name: return Functions.lookup(input, expr.text)
        case .string, .number, .value: return expr.literal
        case .wildcard: return try evaluateWildcard(input)
        case .descendant: return evaluateDescendants(input)
        case .parent: return env.lookup(expr.slot!.label)
        case .condition:
            let c = try evaluate(expr.condition!, input, env)
            // `a ?: b` holds `a` as its condition and its value: evaluated once (nested, twice each level was 2^n).
            if Functions.boolean(c) == true { return expr.then === expr.condition ? c : try evaluate(expr.then!, input, env) }
            if let e = expr.otherwise { return try evaluate(e, input, env) }
            return .undefined
        case .bind:
            let result = try evaluate(expr.rhs!, input, env)
            env.bind(expr.lhs!.text, result)
            return result
        case .regex:
            return .function(JFunction(.regex(expr.regex!, pattern: expr.text), signature: nil, arity: 1))
        case .variable:
            // `$` alone: the context item (the whole input, not its outer wrapper).
            if case .array(let a) = input, a.outerWrapper { return a.items.first ?? .undefined }
            return input
        case .lambda:
            return .function(JFunction(.lambda(body: expr.body!, parameters: expr.arguments.map(\.text), input: input, environment: env, thunk: expr.thunk),
                                       signature: expr.signature, arity: expr.arguments.count))
        case .partial: return try evaluatePartialApplication(expr, input, env)
        case .apply: return try evaluateApply(expr, input, env)
        case .transform: return transformFunction(expr, env)
        // Dispatched by `evaluate` itself; listed so that the switch stays exhaustive.
        case .path, .binary, .function, .unary, .block: return try evaluate(expr, input, env)
        case .sort, .filter, .index, .op, .placeholder:
            throw JSONataError("S0206", position: expr.position, token: expr.text)
        }
    }

    /// A node's predicates and (outside paths) its grouping, applied to its result.
    @inline(never)
    private func evaluateTrailers(_ expr: Node, _ value: JValue, _ env: Frame) throws -> JValue {
        var result = value
        if let predicate = expr.predicate {
            for p in predicate { result = try evaluateFilter(p.expression!, result, env) }
        }
        if expr.kind != .path, let group = expr.groupPairs {
            result = try evaluateGroup(group, constantKeys: expr.constantGroupKeys, position: expr.groupPosition, result, env)
        }
        return result
    }

    func evaluateFilter(_ predicate: Node, _ inputValue: JValue, _ env: Frame) throws -> JValue {
        switch inputValue {
        case .array(let a): return try filter(predicate, a.items, tupleStream: a.tupleStream, env)
        case .jsonArray(let xs): return try filter(predicate, xs.lazy.map(JValue.init), tupleStream: false, env)
        default: return try filter(predicate, CollectionOfOne(inputValue), tupleStream: false, env)
        }
    }

    /// The items a predicate keeps: those it is true for, or those at the index (or indexes) it gives.
    private func filter<Items: RandomAccessCollection<JValue>>(_ predicate: Node, _ input: Items, tupleStream: Bool,
                                                              _ env: Frame) throws -> JValue where Items.Index == Int {
        let results = JArray([], sequence: true)
        results.tupleStream = tupleStream
        let count = input.count
        func normalized(_ n: Double) -> Int {
            let i = SizeLimits.clampedInt(floor(n))
            return i < 0 ? count + i : i
        }
        if predicate.kind == .number {
            let index = normalized(predicate.number)
            if index >= 0 && index < count {
                let item = input[input.startIndex + index]
                if item.isArray { return item }
                results.append(item)
            }
            return .array(results)
        }
        var index = 0
        for item in input {
            defer { index += 1 }
            let res: JValue
            if tupleStream, let t = item.objectValue {
                res = try evaluate(predicate, t["@"], Frame.fromTuple(env, t))
            } else {
                res = try evaluate(predicate, item, env)
            }
            if case .number(let n) = res {
                if normalized(n) == index { results.append(item) }
            } else if res.isArray, let a = res.arrayValue, !a.items.isEmpty, a.items.allSatisfy({ $0.numberValue != nil }) {
                for n in a.items where normalized(n.numberValue!) == index { results.append(item) }
            } else if Functions.boolean(res) == true {
                results.append(item)
            }
        }
        return .array(results)
    }

    private func evaluateWildcard(_ inputValue: JValue) throws -> JValue {
        var results: JValue = .sequence()
        var input = inputValue
        if case .array(let a) = input, a.outerWrapper, !a.items.isEmpty { input = a.items[0] }
        // A JavaScript array is an object whose keys are its indexes.
        let values: [JValue]
        switch input {
        case .object(let o): values = Array(o.fields.values)
        case .array(let a): values = a.items
        case .jsonObject(let o): values = o.values.map(JValue.init)
        case .jsonArray(let xs): values = xs.map(JValue.init)
        default: values = []
        }
        for value in values {
            try checkTime()
            if value.isArray {
                results = Functions.append(results, .array(JArray(Functions.flatten(value))))
            } else {
                results.arrayValue?.append(value)
            }
        }
        return results
    }

    private func evaluateDescendants(_ input: JValue) -> JValue {
        if input.isUndefined { return .undefined }
        var out: [JValue] = []
        // Past `maxValueDepth` levels (a value only an expression can build) the walk goes no deeper: no stack overflow.
        func recurse(_ v: JValue, _ depth: Int) {
            guard depth <= SizeLimits.maxValueDepth else { return }
            switch v {
            case .array(let a): for m in a.items { recurse(m, depth + 1) }
            case .jsonArray(let xs): for m in xs { recurse(JValue(m), depth + 1) }
            default:
                out.append(v)
                if case .object(let o) = v { for (_, x) in o.fields { recurse(x, depth + 1) } }
                if case .jsonObject(let o) = v { for x in o.values { recurse(JValue(x), depth + 1) } }
            }
        }
        recurse(input, 0)
        if out.count == 1 { return out[0] }
        return .sequence(out)
    }
}
