import OnrampCore

/// How a run's source records differ from the last successful run's: fields that appeared, that disappeared, and
/// that changed type (nulls aside). Pure: the runner feeds it schemas, it answers what changed.
public struct SchemaDrift: Sendable, Equatable {
    public struct TypeChange: Sendable, Equatable {
        public var field: String
        public var was: [String]
        public var now: [String]

        public init(field: String, was: [String], now: [String]) {
            self.field = field
            self.was = was
            self.now = now
        }
    }

    public var added: [String] = []
    public var removed: [String] = []
    public var changed: [TypeChange] = []

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// The drift of `now` against `baseline`. `complete: false` (the run is still reading) counts a field as removed
    /// only when every baseline record had it and some record now lacks it; at the end, when no record had it.
    public static func between(_ baseline: ObservedSchema, _ now: ObservedSchema, complete: Bool) -> SchemaDrift {
        var d = SchemaDrift()
        guard now.records > 0, baseline.records > 0 else { return d }
        for name in now.order where baseline.fields[name] == nil { d.added.append(name) }
        for name in baseline.order {
            let was = baseline.fields[name]!
            guard let field = now.fields[name] else {
                if complete || was.present == baseline.records { d.removed.append(name) }
                continue
            }
            if was.present == baseline.records, field.present < now.records, !complete { d.removed.append(name) }
            let before = was.types.subtracting(["null"]), after = field.types.subtracting(["null"])
            if !before.isEmpty, !after.isSubset(of: before) {
                d.changed.append(TypeChange(field: name, was: before.sorted(), now: after.sorted()))
            }
        }
        return d
    }

    /// "fields appeared: a, b; disappeared: c; changed type: d (number → string)".
    public var description: String {
        var parts: [String] = []
        if !added.isEmpty { parts.append("appeared: \(Self.list(added))") }
        if !removed.isEmpty { parts.append("disappeared: \(Self.list(removed))") }
        if !changed.isEmpty {
            parts.append("changed type: " + Self.list(changed.map { "\($0.field) (\($0.was.joined(separator: "|")) → "
                + "\($0.now.joined(separator: "|")))" }))
        }
        return "fields " + parts.joined(separator: "; ")
    }

    static func list(_ names: [String]) -> String {
        names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", … (\(names.count) in all)" : "")
    }

    public var asValue: Value {
        ["added": .array(added.map(Value.string)), "removed": .array(removed.map(Value.string)),
         "changed": .array(changed.map { ["field": .string($0.field), "was": .array($0.was.map(Value.string)),
                                           "now": .array($0.now.map(Value.string))] })]
    }
}
