import OnrampCore

/// A compiled expression specialised to the rows of a `TableBatch`: field names resolved to
/// columns, evaluated straight from the row's bytes without building the record.
///
/// Only a plain subset compiles (field names, literals, arithmetic, comparisons, `&`, `and`/`or`,
/// conditions, `$number`, `$string`, `$uppercase`, `$lowercase`, `$trim`), and evaluation answers only when
/// every operand has the obvious type. Any other row (a missing value, a string to compare by code
/// units, an error to report) gives nil, and the caller evaluates the full expression on that row's
/// record, so the result is always the one `JSONata.evaluate` gives.
public struct RowExpression: Sendable {
    indirect enum Op: Sendable {
        case field(Int)
        case literal(Scalar)
        case number(Op)
        case string(Op)
        case uppercase(Op)
        case lowercase(Op)
        case trim(Op)
        case arithmetic(Node.BinaryOperator, Op, Op)
        case compare(Node.BinaryOperator, Op, Op)
        case concat(Op, Op)
        case and(Op, Op)
        case or(Op, Op)
        case condition(Op, Op, Op?)
    }

    enum Scalar: Sendable {
        case undefined, null
        case bool(Bool)
        case number(Double)
        case string(String)
    }

    let root: Op

    /// Nil when the expression is outside the subset, names a field `columns` lacks, or calls a
    /// function that `functions` redefines.
    public init?(_ expression: JSONata, columns: [String], functions: JSONata.FunctionRegistry = JSONata.FunctionRegistry()) {
        guard let op = Self.compile(expression.ast, columns, functions) else { return nil }
        root = op
    }

    /// The value for one row (nil inside: the field is left out), or nil when this row needs the full evaluator.
    public func evaluate(_ table: TableBatch, row: Int) -> Value?? {
        switch Self.run(root, table, row) {
        case nil: return nil
        case .undefined?: return .some(nil)
        case .null?: return .some(.null)
        case .bool(let b)?: return .some(.bool(b))
        case .number(let n)?: return .some(.number(n))
        case .string(let s)?: return .some(.string(s))
        }
    }

    private static func compile(_ node: Node, _ columns: [String], _ functions: JSONata.FunctionRegistry) -> Op? {
        guard node.predicate == nil, node.groupPairs == nil, node.stages == nil, !node.keepArray, !node.keepSingletonArray,
              node.focus == nil, node.indexVariable == nil, !node.tuple, !node.consarray else { return nil }
        func sub(_ n: Node?) -> Op? { n.flatMap { compile($0, columns, functions) } }
        switch node.kind {
        case .path:
            guard node.steps.count == 1 else { return nil }
            return sub(node.steps[0])
        case .name:
            return columns.firstIndex(of: node.text).map(Op.field)
        case .string, .number, .value:
            switch node.literal {
            case .string(let s): return .literal(.string(s))
            case .number(let n): return .literal(.number(n))
            case .bool(let b): return .literal(.bool(b))
            default: return .literal(.null)
            }
        case .binary:
            guard let l = sub(node.lhs), let r = sub(node.rhs) else { return nil }
            let op = node.binaryOperator
            switch op {
            case .add, .subtract, .multiply, .divide, .modulo: return .arithmetic(op, l, r)
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return .compare(op, l, r)
            case .concat: return .concat(l, r)
            case .and: return .and(l, r)
            case .or: return .or(l, r)
            default: return nil
            }
        case .condition:
            guard let c = sub(node.condition), let t = sub(node.then) else { return nil }
            if let o = node.otherwise {
                guard let e = sub(o) else { return nil }
                return .condition(c, t, e)
            }
            return .condition(c, t, nil)
        case .function:
            guard let p = node.procedure, p.kind == .variable, functions.entries[p.text] == nil,
                  node.arguments.count == 1, let a = sub(node.arguments[0]) else { return nil }
            switch p.text {
            case "number": return .number(a)
            case "string": return .string(a)
            case "uppercase": return .uppercase(a)
            case "lowercase": return .lowercase(a)
            case "trim": return .trim(a)
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func run(_ op: Op, _ t: TableBatch, _ row: Int) -> Scalar? {
        switch op {
        case .field(let c):
            switch t.columns[c].column {
            case .raw(let rc): return .string(t.table.string(row: t.tableRow(row), column: rc))
            case .computed(let values):
                switch values[row] {
                case nil: return .undefined
                case .null?: return .null
                case .bool(let b)?: return .bool(b)
                case .number(let n)?: return .number(n)
                case .string(let s)?: return .string(s)
                case .array?, .object?: return nil
                }
            }
        case .literal(let s): return s
        case .number(.field(let c)):
            if case .raw(let rc) = t.columns[c].column {
                return t.table.withField(row: t.tableRow(row), column: rc) { plainDecimal($0) }.map(Scalar.number)
            }
            return number(run(.field(c), t, row))
        case .number(let a): return number(run(a, t, row))
        case .string(let a):
            if case .string(let s)? = run(a, t, row) { return .string(s) }
            return nil
        case .uppercase(let a), .lowercase(let a), .trim(let a):
            switch run(a, t, row) {
            case .undefined?: return .undefined
            case .string(let s)?:
                switch op {
                case .uppercase: return .string(s.uppercased())
                case .lowercase: return .string(s.lowercased())
                default: return .string(StringFunctions.trim(s))
                }
            default: return nil
            }
        case .arithmetic(let o, let l, let r):
            guard case .number(let x)? = run(l, t, row), case .number(let y)? = run(r, t, row) else { return nil }
            let v = Evaluator.arithmetic(o, x, y)
            return v.isFinite ? .number(v) : nil
        case .compare(let o, let l, let r):
            switch (run(l, t, row), run(r, t, row)) {
            case (.number(let x)?, .number(let y)?):
                switch o {
                case .equal: return .bool(x == y)
                case .notEqual: return .bool(x != y)
                case .less: return .bool(x < y)
                case .lessOrEqual: return .bool(x <= y)
                case .greater: return .bool(x > y)
                default: return .bool(x >= y)
                }
            case (.string(let x)?, .string(let y)?) where o == .equal || o == .notEqual:
                // Equal bytes are equal strings; unequal ASCII strings are unequal. Anything else is
                // left to the full evaluator (Swift and JavaScript disagree about canonical equivalence).
                let same = x.utf8.elementsEqual(y.utf8)
                guard same || (x.utf8.allSatisfy { $0 < 0x80 } && y.utf8.allSatisfy { $0 < 0x80 }) else { return nil }
                return .bool(same == (o == .equal))
            default: return nil
            }
        case .concat(let l, let r):
            guard case .string(let x)? = run(l, t, row), case .string(let y)? = run(r, t, row) else { return nil }
            return .string(x + y)
        case .and(let l, let r), .or(let l, let r):
            guard case .bool(let x)? = run(l, t, row) else { return nil }
            let isAnd: Bool
            if case .and = op { isAnd = true } else { isAnd = false }
            if x != isAnd { return .bool(x) }
            guard case .bool(let y)? = run(r, t, row) else { return nil }
            return .bool(y)
        case .condition(let c, let th, let el):
            guard case .bool(let b)? = run(c, t, row) else { return nil }
            if b { return run(th, t, row) }
            return el.map { run($0, t, row) } ?? .undefined
        }
    }

    private static func number(_ s: Scalar?) -> Scalar? {
        switch s {
        case .undefined?: return .undefined
        case .number?: return s
        case .string(let text)?:
            var text = text
            return text.withUTF8 { plainDecimal($0) }.map(Scalar.number)
        default: return nil
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 15 significant digits, exactly as `Double(text)`
    /// reads it (one correctly rounded division); nil for anything else.
    static func plainDecimal(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let negative = i < b.count && b[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let intStart = i
        var mantissa: Int64 = 0
        var digits = 0
        while i < b.count, b[i] &- 48 < 10 {
            mantissa = mantissa * 10 + Int64(b[i] &- 48)
            digits += 1
            i += 1
            if digits > 15 { return nil }
        }
        let intDigits = i - intStart
        guard intDigits > 0, !(intDigits > 1 && b[intStart] == UInt8(ascii: "0")) else { return nil }
        var fraction = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] &- 48 < 10 {
                mantissa = mantissa * 10 + Int64(b[i] &- 48)
                digits += 1
                fraction += 1
                i += 1
                if digits > 15 { return nil }
            }
            guard fraction > 0 else { return nil }
        }
        guard i == b.count, digits <= 15 else { return nil }
        let v = Double(mantissa) / NumericFunctions.powersOfTen[fraction]
        return negative ? -v : v
    }
}
