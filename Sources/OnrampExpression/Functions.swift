import OnrampCore

/// Value semantics shared by the evaluator and the function library (JavaScript's, as JSONata defines them).
enum Functions {
    /// Arrays nested past `SizeLimits.maxValueDepth` (only an expression can build them) give nothing deeper:
    /// this walk and the ones below stop there instead of overflowing the stack.
    static func lookup(_ input: JValue, _ key: String, depth: Int = 0) -> JValue {
        switch input {
        case .array(let a):
            let result = JArray([], sequence: true)
            guard depth <= SizeLimits.maxValueDepth else { return .array(result) }
            for item in a.items { appendLookup(item, key, to: result, depth: depth + 1) }
            return .array(result)
        case .jsonArray(let xs):
            let result = JArray([], sequence: true)
            guard depth <= SizeLimits.maxValueDepth else { return .array(result) }
            for item in xs { appendLookup(JValue(item), key, to: result, depth: depth + 1) }
            return .array(result)
        case .object(let o):
            return o.value(forKey: key) ?? .undefined
        case .jsonObject(let o):
            return JObject.value(in: o, forKey: key).map(JValue.init) ?? .undefined
        default:
            return .undefined
        }
    }

    /// Adds what `lookup(item, key)` gives to `result`, flattening one level.
    private static func appendLookup(_ item: JValue, _ key: String, to result: JArray, depth: Int) {
        let res = lookup(item, key, depth: depth)
        switch res {
        case .undefined: break
        case .array(let r): result.items.append(contentsOf: r.items)
        case .jsonArray(let r): for x in r { result.items.append(JValue(x)) }
        default: result.items.append(res)
        }
    }

    static func append(_ a: JValue, _ b: JValue) -> JValue {
        if a.isUndefined { return b }
        if b.isUndefined { return a }
        var items = a.arrayValue?.items ?? [a]
        if let bb = b.arrayValue { items.append(contentsOf: bb.items) } else { items.append(b) }
        return .array(JArray(items))
    }

    static func flatten(_ v: JValue) -> [JValue] {
        var out: [JValue] = []
        func go(_ x: JValue, _ depth: Int) {
            guard depth <= SizeLimits.maxValueDepth else { return }
            switch x {
            case .array(let a): for i in a.items { go(i, depth + 1) }
            case .jsonArray(let xs): for i in xs { go(JValue(i), depth + 1) }
            default: out.append(x)
            }
        }
        go(v, 0)
        return out
    }

    /// Effective boolean value; nil for undefined.
    static func boolean(_ v: JValue, depth: Int = 0) -> Bool? {
        guard depth <= SizeLimits.maxValueDepth else { return false }
        switch v {
        case .undefined: return nil
        case .null, .function: return false
        case .bool(let b): return b
        case .number(let n): return n != 0
        case .string(let s): return !s.isEmpty
        case .object(let o): return !o.fields.isEmpty
        case .jsonObject(let o): return !o.isEmpty
        case .array(let a):
            if a.items.count == 1 { return boolean(a.items[0], depth: depth + 1) ?? false }
            return a.items.contains { boolean($0, depth: depth + 1) == true }
        case .jsonArray(let xs):
            if xs.count == 1 { return boolean(JValue(xs[0]), depth: depth + 1) ?? false }
            return xs.contains { boolean(JValue($0), depth: depth + 1) == true }
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
            // What the top level alone must print: a text over the limit is refused unwritten.
            try SizeLimits.checkString(minimumJSONLength(v))
            let value = try stringifiable(v)
            let text = JSONWriter.string(value, pretty: pretty, number: NumberFormatting.javaScriptPrecision15)
            try SizeLimits.checkString(text.utf8.count)
            return text
        }
    }

    /// A lower bound of the length of `v` as JSON, looking no deeper than its members.
    private static func minimumJSONLength(_ v: JValue) -> Int {
        func member(_ x: JValue) -> Int { if case .string(let s) = x { return s.utf8.count + 2 }; return 1 }
        switch v {
        case .array(let a): return a.items.reduce(a.items.count + 1) { $0 + member($1) }
        case .object(let o):  // undefined fields are left out
            return o.fields.reduce(1) { $1.value.isUndefined ? $0 : $0 + $1.key.utf8.count + 4 + member($1.value) }
        default: return 0
        }
    }

    /// The value `JSON.stringify` sees: undefined array members are null, undefined fields are
    /// left out, functions are empty strings.
    private static func stringifiable(_ v: JValue, depth: Int = 0) throws -> Value {
        switch v {
        case .array(let a):
            try SizeLimits.checkDepth(depth)
            return .array(try a.items.map { try stringifiable($0, depth: depth + 1) })
        case .jsonArray, .jsonObject: return try v.toValue() ?? .null
        case .object(let o):
            try SizeLimits.checkDepth(depth)
            var out = Value.Object(minimumCapacity: o.fields.count)
            for (k, x) in o.fields where !x.isUndefined { out[k] = try stringifiable(x, depth: depth + 1) }
            return .object(out)
        case .number(let n) where !n.isFinite: throw JSONataError("D1001", value: .number(n))
        default: return try v.toValue() ?? .null
        }
    }

    /// Deep equality; D9003 for containers nested past `SizeLimits.maxValueDepth`.
    static func deepEqual(_ a: JValue, _ b: JValue, depth: Int = 0) throws(JSONataError) -> Bool {
        if depth >= SizeLimits.maxValueDepth, a.isContainer || b.isContainer { throw SizeLimits.tooDeep() }
        switch (a, b) {
        case (.undefined, .undefined), (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)):
            if x === y { return true }
            guard x.items.count == y.items.count else { return false }
            for (p, q) in zip(x.items, y.items) where !(try deepEqual(p, q, depth: depth + 1)) { return false }
            return true
        case (.object(let x), .object(let y)):
            if x === y { return true }
            guard x.fields.count == y.fields.count else { return false }
            for (k, v) in x.fields {
                guard let w = y.fields[k], try deepEqual(v, w, depth: depth + 1) else { return false }
            }
            return true
        case (.jsonArray, .array), (.array, .jsonArray), (.jsonArray, .jsonArray),
             (.jsonObject, .object), (.object, .jsonObject), (.jsonObject, .jsonObject):
            return try deepEqual(a.arrayValue.map(JValue.array) ?? a.objectValue.map(JValue.object) ?? a,
                                 b.arrayValue.map(JValue.array) ?? b.objectValue.map(JValue.object) ?? b, depth: depth)
        case (.function(let x), .function(let y)): return x === y
        default: return false
        }
    }

    /// JavaScript's `===`: containers are equal only when they are the same one.
    static func strictEqual(_ a: JValue, _ b: JValue) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)): return x === y
        case (.object(let x), .object(let y)): return x === y
        case (.jsonArray(let x), .jsonArray(let y)): return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { $0.baseAddress == p.baseAddress } }
        case (.jsonObject(let x), .jsonObject(let y)): return x.values.withUnsafeBufferPointer { p in y.values.withUnsafeBufferPointer { $0.baseAddress == p.baseAddress } }
        case (.array, _), (.object, _), (.jsonArray, _), (.jsonObject, _): return false
        default: return (try? deepEqual(a, b)) ?? false  // scalars: never throws
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
        case .array, .jsonArray: return "array"
        case .object, .jsonObject: return "object"
        case .function: return "function"
        }
    }

}
