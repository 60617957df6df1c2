import OnrampCore

/// Value semantics shared by the evaluator and the function library (JavaScript's, as JSONata defines them).
enum Functions {
    static func lookup(_ input: JValue, _ key: String) -> JValue {
        switch input {
        case .array(let a):
            let result = JArray([], sequence: true)
            for item in a.items {
                let res = lookup(item, key)
                switch res {
                case .undefined: break
                case .array(let r): result.items.append(contentsOf: r.items)
                default: result.items.append(res)
                }
            }
            return .array(result)
        case .object(let o):
            return o.value(forKey: key) ?? .undefined
        default:
            return .undefined
        }
    }

    static func append(_ a: JValue, _ b: JValue) -> JValue {
        if a.isUndefined { return b }
        if b.isUndefined { return a }
        var items = a.arrayValue?.items ?? [a]
        if case .array(let bb) = b { items.append(contentsOf: bb.items) } else { items.append(b) }
        return .array(JArray(items))
    }

    static func flatten(_ v: JValue) -> [JValue] {
        var out: [JValue] = []
        func go(_ x: JValue) {
            if case .array(let a) = x { for i in a.items { go(i) } } else { out.append(x) }
        }
        go(v)
        return out
    }

    /// Effective boolean value; nil for undefined.
    static func boolean(_ v: JValue) -> Bool? {
        switch v {
        case .undefined: return nil
        case .null, .function: return false
        case .bool(let b): return b
        case .number(let n): return n != 0
        case .string(let s): return !s.isEmpty
        case .object(let o): return !o.fields.isEmpty
        case .array(let a):
            if a.items.count == 1 { return boolean(a.items[0]) ?? false }
            return a.items.contains { boolean($0) == true }
        }
    }

    static func string(_ v: JValue, pretty: Bool = false) throws -> String {
        switch v {
        case .undefined: return ""
        case .string(let s): return s
        case .function: return ""
        case .number(let n) where !n.isFinite: throw JSONataError("D3001", value: .number(n))
        case .array(let a) where a.outerWrapper && !a.items.isEmpty:
            return try string(a.items[0], pretty: pretty)
        default:
            return JSONWriter.string(try stringifiable(v), pretty: pretty, number: NumberFormatting.javaScriptPrecision15)
        }
    }

    /// The value `JSON.stringify` sees: undefined array members are null, undefined fields are
    /// left out, functions are empty strings.
    private static func stringifiable(_ v: JValue) throws -> Value {
        switch v {
        case .array(let a): return .array(try a.items.map(stringifiable))
        case .object(let o):
            var out = Value.Object(minimumCapacity: o.fields.count)
            for (k, x) in o.fields where !x.isUndefined { out[k] = try stringifiable(x) }
            return .object(out)
        case .number(let n) where !n.isFinite: throw JSONataError("D1001", value: .number(n))
        default: return v.toValue() ?? .null
        }
    }

    static func deepEqual(_ a: JValue, _ b: JValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)):
            if x === y { return true }
            guard x.items.count == y.items.count else { return false }
            return zip(x.items, y.items).allSatisfy { deepEqual($0, $1) }
        case (.object(let x), .object(let y)):
            if x === y { return true }
            guard x.fields.count == y.fields.count else { return false }
            for (k, v) in x.fields {
                guard let w = y.fields[k], deepEqual(v, w) else { return false }
            }
            return true
        case (.function(let x), .function(let y)): return x === y
        default: return false
        }
    }

    /// JavaScript's `===`.
    static func strictEqual(_ a: JValue, _ b: JValue) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)): return x === y
        case (.object(let x), .object(let y)): return x === y
        default: return deepEqual(a, b)
        }
    }

    /// Compares as JavaScript does: by UTF-16 code units.
    static func compareStrings(_ a: String, _ b: String) -> Int {
        var i = a.utf16.makeIterator(), j = b.utf16.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    /// A stable merge sort; `swap(a, b)` is true when `b` must come before `a`.
    static func mergeSort(_ items: [JValue], _ swap: (JValue, JValue) throws -> Bool) throws -> [JValue] {
        if items.count <= 1 { return items }
        let mid = items.count / 2
        let left = try mergeSort(Array(items[..<mid]), swap)
        let right = try mergeSort(Array(items[mid...]), swap)
        var out: [JValue] = []
        out.reserveCapacity(items.count)
        var i = 0, j = 0
        while i < left.count && j < right.count {
            if try swap(left[i], right[j]) { out.append(right[j]); j += 1 } else { out.append(left[i]); i += 1 }
        }
        out.append(contentsOf: left[i...])
        out.append(contentsOf: right[j...])
        return out
    }

    static func typeName(_ v: JValue) -> String? {
        switch v {
        case .undefined: return nil
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        case .function: return "function"
        }
    }

    static func deepClone(_ v: JValue) -> JValue {
        switch v {
        case .array(let a):
            let c = JArray(a.items.map(deepClone), sequence: a.sequence)
            return .array(c)
        case .object(let o):
            var f = o.fields
            for (k, x) in o.fields { f[k] = deepClone(x) }
            return .object(JObject(f))
        default: return v
        }
    }
}
