import OnrampCore

/// A dotted field path (`shipTo.region`, `lines.0.sku` is not supported: arrays are addressed by steps such as
/// `unnest`) that reads and writes inside a record's nested objects.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public let keys: [String]

    /// At most this many names: a path cannot build records deeper than the JSON parser reads back.
    public static let maxDepth = 32

    /// `text` split at dots; empty segments, or more than `maxDepth` names, are an error at `location`.
    public init(_ text: String, at location: String) throws(OnrampError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw OnrampError("spec.field", "'\(text.prefix(100))' is not a field path (names separated by dots)", at: location)
        }
        guard parts.count <= Self.maxDepth else {
            throw OnrampError("spec.field", "a field path has at most \(Self.maxDepth) names", at: location)
        }
        keys = parts
    }

    public var description: String { keys.joined(separator: ".") }

    /// The value at this path, nil when any object on the way is missing or not an object.
    public func get(_ value: Value) -> Value? {
        var v = value
        for k in keys {
            guard case .object(let o) = v, let next = o[k] else { return nil }
            v = next
        }
        return v
    }

    /// Sets (or with nil removes) the value at this path, creating objects on the way; false when a value on the
    /// way is not an object.
    @discardableResult
    public func set(_ new: Value?, in value: inout Value) -> Bool { Self.set(new, keys[...], in: &value) }

    private static func set(_ new: Value?, _ keys: ArraySlice<String>, in value: inout Value) -> Bool {
        guard let key = keys.first else { return false }
        if value.isNull, new != nil { value = .object([:]) }
        guard case .object(var o) = value else { return false }
        // `o` is then the only holder of the storage `value` had: the change is made in place, not on a copy.
        value = .null
        defer { value = .object(o) }
        if keys.count == 1 {
            o[key] = new
            return true
        }
        guard let index = o.index(forKey: key) else {
            var child = Value.null
            guard set(new, keys.dropFirst(), in: &child) else { return false }
            o[key] = child
            return true
        }
        var child = o.values[index]
        o.values[index] = .null
        let changed = set(new, keys.dropFirst(), in: &child)
        o.values[index] = child
        return changed
    }
}

extension Value {
    /// Null, a missing value or a string of only whitespace: what `default`, `coalesce` and `required` treat as
    /// empty.
    var isBlank: Bool {
        switch self {
        case .null: return true
        case .string(let s): return s.isBlank
        default: return false
        }
    }
}
