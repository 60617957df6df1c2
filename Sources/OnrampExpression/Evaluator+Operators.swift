import Collections
import Foundation
import OnrampCore

extension Evaluator {
    func evaluateBinary(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        let lhs = try evaluate(expr.lhs!, input, env)
        let op = expr.binaryOperator
        if op == .and || op == .or {
            let l = Functions.boolean(lhs) ?? false
            if op == .and {
                if !l { return .bool(false) }
                return .bool(Functions.boolean(try evaluate(expr.rhs!, input, env)) ?? false)
            }
            if l { return .bool(true) }
            return .bool(Functions.boolean(try evaluate(expr.rhs!, input, env)) ?? false)
        }
        let rhs = try evaluate(expr.rhs!, input, env)
        if op.isArithmetic || op.isComparison, case .number(let l) = lhs, case .number(let r) = rhs, l.isFinite, r.isFinite {
            switch op {
            case .less: return .bool(l < r)
            case .lessOrEqual: return .bool(l <= r)
            case .greater: return .bool(l > r)
            case .greaterOrEqual: return .bool(l >= r)
            default: return .number(Self.arithmetic(op, l, r))
            }
        }
        return try evaluateOperator(expr, op, lhs, rhs)
    }

    /// A binary operator on anything but two finite numbers (or a logical one).
    @inline(never)
    private func evaluateOperator(_ expr: Node, _ op: Node.BinaryOperator, _ lhs: JValue, _ rhs: JValue) throws -> JValue {
        do {
            switch op {
            case .add, .subtract, .multiply, .divide, .modulo: return try numeric(lhs, rhs, op)
            case .equal:
                if lhs.isUndefined || rhs.isUndefined { return .bool(false) }
                return .bool(try Functions.deepEqual(lhs, rhs))
            case .notEqual:
                if lhs.isUndefined || rhs.isUndefined { return .bool(false) }
                return .bool(!(try Functions.deepEqual(lhs, rhs)))
            case .less, .lessOrEqual, .greater, .greaterOrEqual: return try comparison(lhs, rhs, op)
            case .concat:
                let l = lhs.isUndefined ? "" : try Functions.string(lhs)
                let r = rhs.isUndefined ? "" : try Functions.string(rhs)
                try SizeLimits.checkString(l.utf8.count + r.utf8.count)
                return .string(l + r)
            case .range: return try range(lhs, rhs)
            case .in:
                if lhs.isUndefined || rhs.isUndefined { return .bool(false) }
                let items = rhs.arrayValue?.items ?? [rhs]
                return .bool(items.contains { Functions.strictEqual($0, lhs) })
            case .none, .and, .or:
                throw JSONataError("S0201", position: expr.position, token: expr.text)
            }
        } catch var e as JSONataError {
            e.position = expr.position
            if e.token == nil { e.token = expr.text }
            throw e
        }
    }

    private func numeric(_ lhs: JValue, _ rhs: JValue, _ op: Node.BinaryOperator) throws -> JValue {
        if !lhs.isUndefined && lhs.numberValue == nil { throw JSONataError("T2001", jvalue: lhs) }
        if !rhs.isUndefined && rhs.numberValue == nil { throw JSONataError("T2002", jvalue: rhs) }
        guard let l = lhs.numberValue, let r = rhs.numberValue else { return .undefined }
        // As in JavaScript, a result may overflow to ±Infinity; using one as an operand is the error.
        if !l.isFinite { throw JSONataError("D1001", value: .number(l)) }
        if !r.isFinite { throw JSONataError("D1001", value: .number(r)) }
        return .number(Self.arithmetic(op, l, r))
    }

    /// `+ - * / %` on two numbers, as JavaScript computes them.
    static func arithmetic(_ op: Node.BinaryOperator, _ l: Double, _ r: Double) -> Double {
        switch op {
        case .add: return l + r
        case .subtract: return l - r
        case .multiply: return l * r
        case .divide: return l / r
        default: return fmod(l, r)
        }
    }

    private func comparison(_ lhs: JValue, _ rhs: JValue, _ op: Node.BinaryOperator) throws -> JValue {
        func comparable(_ v: JValue) -> Bool {
            switch v { case .undefined, .string, .number: return true; default: return false }
        }
        func stringOrNumber(_ v: JValue) -> Bool {
            switch v { case .string, .number: return true; default: return false }
        }
        if !comparable(lhs) || !comparable(rhs) {
            throw JSONataError("T2010", jvalue: !stringOrNumber(lhs) ? lhs : rhs)
        }
        if lhs.isUndefined || rhs.isUndefined { return .undefined }
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)):
            switch op { case .less: return .bool(a < b); case .lessOrEqual: return .bool(a <= b); case .greater: return .bool(a > b); default: return .bool(a >= b) }
        case (.string(let a), .string(let b)):
            let c = Functions.compareStrings(a, b)
            switch op { case .less: return .bool(c < 0); case .lessOrEqual: return .bool(c <= 0); case .greater: return .bool(c > 0); default: return .bool(c >= 0) }
        default:
            throw JSONataError("T2009", jvalue: lhs, value2: rhs)
        }
    }

    private func range(_ lhs: JValue, _ rhs: JValue) throws -> JValue {
        func isInteger(_ v: JValue) -> Bool { if case .number(let n) = v { return n == n.rounded(.towardZero) }; return false }
        if !lhs.isUndefined && !isInteger(lhs) { throw JSONataError("T2003", jvalue: lhs) }
        if !rhs.isUndefined && !isInteger(rhs) { throw JSONataError("T2004", jvalue: rhs) }
        guard let l = lhs.numberValue, let r = rhs.numberValue, l <= r else { return .undefined }
        let size = r - l + 1
        if !(size <= 1e7) { throw JSONataError("D2014", value: .number(size)) }  // NaN too (Infinity..Infinity)
        // In doubles: the ends may be integers beyond Int's range.
        return .array(JArray((0..<Int(size)).map { .number(l + Double($0)) }, sequence: true))
    }

    func evaluateUnary(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        // The operator is one character: `-`, `[` or `{`.
        switch expr.text.utf8.first {
        case UInt8(ascii: "-"):
            let v = try evaluate(expr.expression!, input, env)
            if v.isUndefined { return .undefined }
            guard case .number(let n) = v else {
                throw JSONataError("D1002", position: expr.position, token: "-", jvalue: v)
            }
            return .number(-n)
        case UInt8(ascii: "["):
            var result: JValue = .array(JArray())
            for item in expr.expressions {
                let value = try evaluate(item, input, env)
                if value.isUndefined { continue }
                if item.text == "[" && item.kind == .unary {
                    result.arrayValue!.append(value)
                } else {
                    result = Functions.append(result, value)
                }
                try SizeLimits.checkItems(result.arrayCount ?? 0)
            }
            if expr.consarray { result.arrayValue?.cons = true }
            return result
        case UInt8(ascii: "{"):
            return try evaluateGroup(expr.pairs, constantKeys: expr.constantPairKeys, position: expr.position, input, env)
        default:
            throw JSONataError("S0211", position: expr.position, token: expr.text)
        }
    }

    /// `constantKeys`: the pairs' keys when they are distinct string literals.
    func evaluateGroup(_ pairs: [(Node, Node)], constantKeys: [String]?, position: Int, _ inputValue: JValue, _ env: Frame) throws -> JValue {
        // One item (or none) needs no grouping; a tuple stream is reduced per group below.
        let array: JArray
        switch inputValue {
        case .array(let a) where a.tupleStream || a.items.count > 1: array = a
        case .array(let a): return try evaluateObject(pairs, constantKeys, position: position, a.items.first ?? .undefined, env)
        case .jsonArray(let xs) where xs.count > 1: array = inputValue.arrayValue!
        case .jsonArray(let xs): return try evaluateObject(pairs, constantKeys, position: position, xs.first.map(JValue.init) ?? .undefined, env)
        default: return try evaluateObject(pairs, constantKeys, position: position, inputValue, env)
        }
        let reduce = array.tupleStream
        let input = array.items.isEmpty ? [.undefined] : array.items
        var groups: [String: (data: JValue, exprIndex: Int)] = [:]
        var order: [String] = []
        for item in input {
            let tuple = reduce ? item.objectValue : nil
            let genv = tuple.map { Frame.fromTuple(env, $0) } ?? env
            for (pairIndex, pair) in pairs.enumerated() {
                let key = try evaluate(pair.0, tuple?["@"] ?? item, genv)
                if key.isUndefined { continue }
                guard case .string(let k) = key else {
                    throw JSONataError("T1003", position: position, jvalue: key)
                }
                if let existing = groups[k] {
                    if existing.exprIndex != pairIndex {
                        throw JSONataError("D1009", position: position, value: .string(k))
                    }
                    groups[k] = (Functions.append(existing.data, item), pairIndex)
                } else {
                    groups[k] = (item, pairIndex)
                    order.append(k)
                }
            }
        }
        let result = JObject()
        for k in order {
            let entry = groups[k]!
            var context = entry.data
            var genv = env
            if reduce {
                let tuple = reduceTupleStream(entry.data)
                context = tuple["@"]
                tuple.fields["@"] = nil
                genv = Frame.fromTuple(env, tuple)
            }
            let value = try evaluate(pairs[entry.exprIndex].1, context, genv)
            if !value.isUndefined { result.fields[k] = value }
        }
        return .object(result)
    }

    /// The object constructor over one item (the usual case): each pair groups at most that item,
    /// so no grouping table is needed; keys first, then values, as in the general case.
    private func evaluateObject(_ pairs: [(Node, Node)], _ constantKeys: [String]?, position: Int, _ item: JValue, _ env: Frame) throws -> JValue {
        if let constantKeys {
            // Plain scalars go straight into a JSON object (nothing to convert when it is output); the first
            // value that is not one turns it into an evaluator object. Arrays and objects never go into a JSON
            // one: an evaluator object counts how deep values nest and frees them without recursion.
            var json: [Value] = []
            json.reserveCapacity(pairs.count)
            var keys: [String]?
            var values: [JValue]?
            for index in pairs.indices {
                let value = try evaluate(pairs[index].1, item, env)
                if value.isUndefined {
                    if keys == nil { keys = Array(constantKeys[..<index]) }
                    continue
                }
                keys?.append(constantKeys[index])
                if values == nil, let v = value.plainJSON, !v.isContainer {
                    json.append(v)
                } else {
                    if values == nil { values = json.map(JValue.init) }
                    values!.append(value)
                }
            }
            let finalKeys = keys ?? constantKeys
            if let values { return .object(JObject(OrderedDictionary(uncheckedUniqueKeys: finalKeys, values: values))) }
            return .jsonObject(Value.Object(uncheckedUniqueKeys: finalKeys, values: json))
        }
        var keys: [(key: String, pair: Int)] = []
        keys.reserveCapacity(pairs.count)
        for (pairIndex, pair) in pairs.enumerated() {
            let key = try evaluate(pair.0, item, env)
            if key.isUndefined { continue }
            guard case .string(let k) = key else {
                throw JSONataError("T1003", position: position, jvalue: key)
            }
            if keys.contains(where: { $0.key == k }) { throw JSONataError("D1009", position: position, value: .string(k)) }
            keys.append((k, pairIndex))
        }
        let result = JObject(OrderedDictionary(minimumCapacity: keys.count))
        for (k, pairIndex) in keys {
            let value = try evaluate(pairs[pairIndex].1, item, env)
            if !value.isUndefined { result.fields[k] = value }
        }
        return .object(result)
    }

    private func reduceTupleStream(_ stream: JValue) -> JObject {
        guard case .array(let a) = stream else { return stream.objectValue.map { JObject($0.fields) } ?? JObject() }
        let result = JObject(a.items.first?.objectValue?.fields ?? [:])
        for t in a.items.dropFirst() {
            guard let o = t.objectValue else { continue }
            for (k, v) in o.fields { result.fields[k] = Functions.append(result[k], v) }
        }
        return result
    }

    func evaluateSort(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        guard let a = input.arrayValue else { return input }
        let isTupleSort = a.tupleStream
        func key(_ term: Node.SortTerm, _ item: JValue) throws -> JValue {
            if isTupleSort, let t = item.objectValue {
                return try evaluate(term.expression, t["@"], Frame.fromTuple(env, t))
            }
            return try evaluate(term.expression, item, env)
        }
        let sorted = try Functions.mergeSort(a.items) { (x, y) throws -> Bool in
            var comp = 0
            for term in expr.terms where comp == 0 {
                let aa = try key(term, x)
                let bb = try key(term, y)
                if aa.isUndefined { comp = bb.isUndefined ? 0 : 1; continue }
                if bb.isUndefined { comp = -1; continue }
                switch (aa, bb) {
                case (.number(let p), .number(let q)):
                    if p == q { continue }
                    comp = p < q ? -1 : 1
                case (.string(let p), .string(let q)):
                    if p == q { continue }
                    comp = Functions.compareStrings(p, q) < 0 ? -1 : 1
                case (.number, .string), (.string, .number):
                    throw JSONataError("T2007", position: expr.position, jvalue: aa, value2: bb)
                default:
                    let bad: JValue
                    switch aa { case .string, .number: bad = bb; default: bad = aa }
                    throw JSONataError("T2008", position: expr.position, jvalue: bad)
                }
                if term.descending { comp = -comp }
            }
            return comp == 1
        }
        let out = JArray(sorted, sequence: a.sequence)
        out.tupleStream = a.tupleStream
        return .array(out)
    }

    static let transformSignature = try? Signature("<(oa):o>")

    func transformFunction(_ expr: Node, _ env: Frame) -> JValue {
        let implementation: NativeImplementation = { evaluator, args, _ in
            let obj = args.first ?? .undefined
            if obj.isUndefined { return .undefined }
            let cloneFn = env.lookup("clone")
            guard case .function(let clone) = cloneFn else {
                throw JSONataError("T2013", position: expr.position)
            }
            let result = try evaluator.apply(clone, [obj], input: .undefined, env: env)
            let matches = try evaluator.evaluate(expr.pattern!, result, env)
            if matches.isUndefined { return result }
            let items = matches.arrayValue?.items ?? [matches]
            for match in items {
                let update = try evaluator.evaluate(expr.update!, match, env)
                if !update.isUndefined {
                    guard let u = update.objectValue else {
                        throw JSONataError("T2011", position: expr.update!.position, jvalue: update)
                    }
                    if case .object(let m) = match { for (k, v) in u.fields { m.fields[k] = v } }
                }
                if let del = expr.delete {
                    let deletions = try evaluator.evaluate(del, match, env)
                    if deletions.isUndefined { continue }
                    let names = deletions.arrayValue?.items ?? [deletions]
                    guard names.allSatisfy({ $0.stringValue != nil }) else {
                        throw JSONataError("T2012", position: del.position, jvalue: deletions)
                    }
                    if case .object(let m) = match { for n in names { m.fields[n.stringValue!] = nil } }
                }
            }
            return result
        }
        return .function(JFunction(.native(name: "transform", implementation: implementation),
                                   signature: Evaluator.transformSignature, arity: 1))
    }
}
