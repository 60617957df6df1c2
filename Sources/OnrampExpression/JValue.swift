import Collections
import OnrampCore

/// The evaluator's value: JSON plus `undefined`, functions and the sequence flags JSONata relies on.
/// Arrays and objects the evaluator makes are reference types because the language's transform and
/// tuple semantics are defined in terms of shared, mutable JavaScript objects. Arrays and objects of
/// the input (and of bindings) are read in place as `jsonArray` / `jsonObject`, never converted as a
/// whole: they are immutable, and copied into a `JArray` / `JObject` only where one is needed.
enum JValue {
    case undefined
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array(JArray)
    case object(JObject)
    case function(JFunction)
    case jsonArray([Value])
    case jsonObject(Value.Object)

    var isUndefined: Bool { if case .undefined = self { return true }; return false }
    var isArray: Bool {
        switch self { case .array, .jsonArray: return true; default: return false }
    }
    var isFunction: Bool { if case .function = self { return true }; return false }
    /// The array: the evaluator's own, or a new one over an input array's members (a shallow copy:
    /// changing it leaves the input as it was).
    var arrayValue: JArray? {
        switch self {
        case .array(let a): return a
        case .jsonArray(let xs): return JArray(xs.map(JValue.init))
        default: return nil
        }
    }
    /// The object: the evaluator's own, or a new one over an input object's fields (shallow copy).
    var objectValue: JObject? {
        switch self {
        case .object(let o): return o
        case .jsonObject(let o): return JObject(OrderedDictionary(uncheckedUniqueKeys: o.keys.elements, values: o.values.map(JValue.init)))
        default: return nil
        }
    }
    /// How many members an array has; nil for anything else.
    var arrayCount: Int? {
        switch self {
        case .array(let a): return a.items.count
        case .jsonArray(let xs): return xs.count
        default: return nil
        }
    }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var numberValue: Double? { if case .number(let n) = self { return n }; return nil }
    var functionValue: JFunction? { if case .function(let f) = self { return f }; return nil }

    /// The value as an evaluation's input: an array is wrapped in an outer sequence of one, so that
    /// a path's first step sees the whole array (`$` still gives the array itself).
    var asEvaluationInput: JValue {
        switch self {
        case .jsonArray: break
        case .array(let a) where !a.sequence: break
        default: return self
        }
        let w = JArray([self], sequence: true)
        w.outerWrapper = true
        return .array(w)
    }

    /// True for an array flagged as a sequence (the result of a path, not a constructed array).
    var isSequence: Bool { if case .array(let a) = self { return a.sequence }; return false }

    static func sequence(_ items: [JValue] = []) -> JValue { .array(JArray(items, sequence: true)) }
}

final class JArray {
    var items: [JValue]
    var sequence: Bool
    var keepSingleton = false
    var cons = false
    var outerWrapper = false
    var tupleStream = false

    init(_ items: [JValue] = [], sequence: Bool = false) {
        self.items = items
        self.sequence = sequence
    }

    var count: Int { items.count }
    func append(_ v: JValue) { items.append(v) }

    /// Frees nested containers one by one, not by recursion: a value nested 100,000 deep goes without
    /// overflowing the stack.
    deinit {
        guard items.contains(where: \.isContainer) else { return }
        var pending: [JValue] = []
        swap(&pending, &items)
        JValue.dismantle(&pending)
    }
}

final class JObject {
    var fields: OrderedDictionary<String, JValue>
    init(_ fields: OrderedDictionary<String, JValue> = [:]) { self.fields = fields }

    /// Frees nested containers without recursion (see `JArray`).
    deinit {
        guard fields.values.contains(where: \.isContainer) else { return }
        var pending = Array(fields.values)
        fields.removeAll()
        JValue.dismantle(&pending)
    }
    /// The field's value; small objects are scanned (see `value(in:forKey:)`).
    func value(forKey key: String) -> JValue? {
        Self.value(in: fields, forKey: key)
    }

    /// A field of any ordered object: up to 16 keys are scanned, comparing representations first,
    /// then lengths before names; larger objects use their hash table.
    @inline(__always)
    static func value<V>(in fields: OrderedDictionary<String, V>, forKey key: String) -> V? {
        guard fields.count <= 16 else { return fields[key] }
        let index: Int? = fields.keys.elements.withUnsafeBufferPointer { keys in
            // Field names are usually short, and a short string is stored inline, so the same name
            // has the same representation: one comparison per key finds it.
            for i in keys.indices where sameRepresentation(keys[i], key) { return i }
            let length = key.utf8.count
            for i in keys.indices where keys[i].utf8.count == length && keys[i] == key { return i }
            return nil
        }
        return index.map { fields.values[$0] }
    }

    /// True when two strings have the same bits, which makes them equal (the converse does not hold).
    @inline(__always)
    static func sameRepresentation(_ a: String, _ b: String) -> Bool {
        #if arch(x86_64) || arch(arm64)
        return unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
        #else
        return false
        #endif
    }

    subscript(key: String) -> JValue {
        get { value(forKey: key) ?? .undefined }
        set { if newValue.isUndefined { fields[key] = nil } else { fields[key] = newValue } }
    }
}

extension JValue {
    /// JSON as the evaluator reads it: scalars as they are, containers in place (no copy).
    @inline(__always)
    init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .jsonArray(a)
        case .object(let o): self = .jsonObject(o)
        }
    }

    /// The value as JSON, when storing it as JSON keeps everything the evaluator could later
    /// observe: nil for functions, undefined members, infinite numbers, arrays with marks beyond
    /// being a sequence of two or more (constructed `[...]`, tuple streams, wrappers, kept singletons),
    /// and values nested deeper than `SizeLimits.maxValueDepth`.
    var storableJSON: Value? { storableJSON(depth: 0) }

    private func storableJSON(depth: Int) -> Value? {
        switch self {
        case .array(let a):
            guard !a.cons, !a.tupleStream, !a.outerWrapper, !a.keepSingleton, !a.sequence || a.items.count >= 2,
                  depth < SizeLimits.maxValueDepth else { return nil }
            var out: [Value] = []
            out.reserveCapacity(a.items.count)
            for x in a.items {
                guard let v = x.storableJSON(depth: depth + 1) else { return nil }
                out.append(v)
            }
            return .array(out)
        case .object(let o):
            guard depth < SizeLimits.maxValueDepth else { return nil }
            var out: [Value] = []
            out.reserveCapacity(o.fields.count)
            for x in o.fields.values {
                guard let v = x.storableJSON(depth: depth + 1) else { return nil }
                out.append(v)
            }
            return .object(Value.Object(uncheckedUniqueKeys: o.fields.keys.elements, values: out))
        default:
            return plainJSON
        }
    }

    /// Scalars and input JSON as `Value`s; nil for undefined, functions, infinite numbers and the
    /// evaluator's own arrays and objects.
    var plainJSON: Value? {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return n.isFinite ? .number(n) : nil
        case .string(let s): return .string(s)
        case .jsonArray(let xs): return .array(xs)
        case .jsonObject(let o): return .object(o)
        case .undefined, .function, .array, .object: return nil
        }
    }

    /// A result as JSONata gives a sequence: an empty one is undefined, one of a single item (not
    /// kept as an array) is that item; anything else is itself.
    @inline(__always)
    consuming func unwrappingSequence() -> JValue {
        if case .array(let a) = self, a.sequence, !a.tupleStream {
            if a.items.isEmpty { return .undefined }
            if a.items.count == 1 && !a.keepSingleton { return a.items[0] }
        }
        return self
    }

    /// Copies input containers, all the way down, into evaluator containers that may be changed
    /// (D9003 past `SizeLimits.maxValueDepth` levels).
    func deepCopy(depth: Int = 0) throws(JSONataError) -> JValue {
        switch self {
        case .array, .object, .jsonArray, .jsonObject: try SizeLimits.checkDepth(depth)
        default: return self
        }
        switch self {
        case .array(let a):
            var items: [JValue] = []
            items.reserveCapacity(a.items.count)
            for x in a.items { items.append(try x.deepCopy(depth: depth + 1)) }
            return .array(JArray(items, sequence: a.sequence))
        case .object(let o):
            var values: [JValue] = []
            values.reserveCapacity(o.fields.count)
            for x in o.fields.values { values.append(try x.deepCopy(depth: depth + 1)) }
            return .object(JObject(OrderedDictionary(uncheckedUniqueKeys: o.fields.keys.elements, values: values)))
        case .jsonArray(let xs):
            var items: [JValue] = []
            for x in xs { items.append(try JValue(x).deepCopy(depth: depth + 1)) }
            return .array(JArray(items))
        case .jsonObject(let o):
            var values: [JValue] = []
            for x in o.values { values.append(try JValue(x).deepCopy(depth: depth + 1)) }
            return .object(JObject(OrderedDictionary(uncheckedUniqueKeys: o.keys.elements, values: values)))
        default: return self
        }
    }

    var isContainer: Bool {
        switch self { case .array, .object: return true; default: return false }
    }

    /// Releases `pending` (held by nothing else) and every evaluator container only it holds, iteratively: each
    /// container is emptied before it goes, so no deinit recurses.
    static func dismantle(_ pending: inout [JValue]) {
        while var v = pending.popLast() {
            if var a = takeArray(&v) {
                if isKnownUniquelyReferenced(&a) {
                    pending.append(contentsOf: a.items.filter(\.isContainer))
                    a.items.removeAll()
                }
            } else if var o = takeObject(&v), isKnownUniquelyReferenced(&o) {
                pending.append(contentsOf: o.fields.values.filter(\.isContainer))
                o.fields.removeAll()
            }
        }
    }

    /// The array `v` holds, with `v` emptied, so the caller holds the only reference `v` had.
    @inline(never)
    private static func takeArray(_ v: inout JValue) -> JArray? {
        guard case .array(let a) = v else { return nil }
        v = .null
        return a
    }

    /// The object `v` holds, with `v` emptied (see `takeArray`).
    @inline(never)
    private static func takeObject(_ v: inout JValue) -> JObject? {
        guard case .object(let o) = v else { return nil }
        v = .null
        return o
    }

    init(_ value: Value?) {
        if let value { self.init(value) } else { self = .undefined }
    }

    /// Converts to plain JSON; undefined becomes nil, and undefined array members and object fields
    /// are dropped (as `JSON.stringify` drops them); functions become empty strings. A value nested
    /// deeper than `SizeLimits.maxValueDepth` is D9003.
    func toValue(depth: Int = 0) throws(JSONataError) -> Value? {
        switch self {
        case .undefined: return nil
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .array(let a):
            try SizeLimits.checkDepth(depth)
            var out: [Value] = []
            out.reserveCapacity(a.items.count)
            for x in a.items { if let v = try x.toValue(depth: depth + 1) { out.append(v) } }
            return .array(out)
        case .object(let o):
            try SizeLimits.checkDepth(depth)
            // Usually every field is defined: the keys are then shared, not copied.
            var all: [Value] = []
            all.reserveCapacity(o.fields.count)
            for v in o.fields.values {
                guard let cv = try v.toValue(depth: depth + 1) else { break }
                all.append(cv)
            }
            if all.count == o.fields.count { return .object(Value.Object(uncheckedUniqueKeys: o.fields.keys.elements, values: all)) }
            var keys: [String] = []
            var values: [Value] = []
            keys.reserveCapacity(o.fields.count)
            values.reserveCapacity(o.fields.count)
            for (k, v) in o.fields {
                if let cv = try v.toValue(depth: depth + 1) {
                    keys.append(k)
                    values.append(cv)
                }
            }
            return .object(Value.Object(uncheckedUniqueKeys: keys, values: values))
        case .function: return .string("")
        case .jsonArray(let xs): return .array(xs)
        case .jsonObject(let o): return .object(o)
        }
    }

    /// The value for an error message: as `toValue`, and nothing for one nested too deeply.
    var shownValue: Value? { (try? toValue()) ?? nil }
}

extension Value {
    /// An array or an object.
    var isContainer: Bool {
        switch self { case .array, .object: return true; default: return false }
    }
}
