import Collections
import OnrampCore

/// The evaluator's value: JSON plus `undefined`, functions and the sequence flags JSONata relies on.
/// Arrays and objects are reference types because the language's transform and tuple semantics are
/// defined in terms of shared, mutable JavaScript objects.
enum JValue {
    case undefined
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array(JArray)
    case object(JObject)
    case function(JFunction)

    var isUndefined: Bool { if case .undefined = self { return true }; return false }
    var isArray: Bool { if case .array = self { return true }; return false }
    var isFunction: Bool { if case .function = self { return true }; return false }
    var arrayValue: JArray? { if case .array(let a) = self { return a }; return nil }
    var objectValue: JObject? { if case .object(let o) = self { return o }; return nil }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var numberValue: Double? { if case .number(let n) = self { return n }; return nil }
    var functionValue: JFunction? { if case .function(let f) = self { return f }; return nil }

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
}

final class JObject {
    var fields: OrderedDictionary<String, JValue>
    init(_ fields: OrderedDictionary<String, JValue> = [:]) { self.fields = fields }
    /// The field's value; small objects are scanned comparing lengths before names.
    func value(forKey key: String) -> JValue? {
        let keys = fields.keys
        guard keys.count <= 16 else { return fields[key] }
        let length = key.utf8.count
        for i in keys.indices {
            let k = keys[i]
            if k.utf8.count == length && k == key { return fields.values[i] }
        }
        return nil
    }

    subscript(key: String) -> JValue {
        get { value(forKey: key) ?? .undefined }
        set { if newValue.isUndefined { fields[key] = nil } else { fields[key] = newValue } }
    }
}

extension JValue {
    init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(JArray(a.map(JValue.init)))
        case .object(let o):
            self = .object(JObject(OrderedDictionary(uncheckedUniqueKeys: o.keys, values: o.values.map(JValue.init))))
        }
    }

    init(_ value: Value?) {
        if let value { self.init(value) } else { self = .undefined }
    }

    /// Converts to plain JSON; undefined becomes nil, and undefined array members and object fields
    /// are dropped (as `JSON.stringify` drops them); functions become empty strings.
    func toValue() -> Value? {
        switch self {
        case .undefined: return nil
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.items.compactMap { $0.toValue() })
        case .object(let o):
            // Usually every field is defined: the keys are then shared, not copied.
            var all: [Value] = []
            all.reserveCapacity(o.fields.count)
            for v in o.fields.values {
                guard let cv = v.toValue() else { break }
                all.append(cv)
            }
            if all.count == o.fields.count { return .object(Value.Object(uncheckedUniqueKeys: o.fields.keys, values: all)) }
            var keys: [String] = []
            var values: [Value] = []
            keys.reserveCapacity(o.fields.count)
            values.reserveCapacity(o.fields.count)
            for (k, v) in o.fields {
                if let cv = v.toValue() {
                    keys.append(k)
                    values.append(cv)
                }
            }
            return .object(Value.Object(uncheckedUniqueKeys: keys, values: values))
        case .function: return .string("")
        }
    }
}
