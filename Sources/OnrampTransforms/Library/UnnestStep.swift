import OnrampCore

/// `unnest`: one record per item of an array field (an order's `lines`), with the parent's fields: all of them
/// but the array, or the ones `keep` names. An object item's fields join the parent's (or go under `as`).
final class UnnestStep: Step {
    let path: FieldPath
    let keep: [FieldPath]?
    let into: FieldPath?
    let indexField: FieldPath?
    let empty: String
    let label: String

    init(_ c: StepConfig, label: String) throws(OnrampError) {
        path = try FieldPath(try c.string("path", default: ""), at: c.at("path"))
        keep = try c.fields("keep")
        into = try c.string("as").map { (s) throws(OnrampError) in try FieldPath(s, at: c.at("as")) }
        indexField = try c.string("index").map { (s) throws(OnrampError) in try FieldPath(s, at: c.at("index")) }
        empty = try c.string("empty", default: "drop")
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var out: [Record] = []
        for r in records {
            let items: [Value]
            switch path.get(r.value) {
            case .array(let a)?: items = a
            case nil, .null?: items = []
            case let other?:
                errors.append(RecordError(stage: .transform, position: r.position, code: "unnest.not_array",
                                          message: "\(path) is \(other.typeName), not a list", step: label, value: r.value,
                                          field: path.description))
                continue
            }
            var parent: Value
            if let keep {
                parent = .object([:])
                for f in keep { if let v = f.get(r.value) { f.set(v, in: &parent) } }
            } else {
                parent = r.value
                path.set(nil, in: &parent)
            }
            if items.isEmpty {
                switch empty {
                case "keep": out.append(Record(parent, position: r.position))
                case "error":
                    errors.append(RecordError(stage: .transform, position: r.position, code: "unnest.empty",
                                              message: "\(path) has no items", step: label, value: r.value, field: path.description))
                default: break
                }
                continue
            }
            for (i, item) in items.enumerated() {
                var v = parent
                if let into {
                    into.set(item, in: &v)
                } else if case .object(let fields) = item, case .object(var o) = v {
                    for (k, x) in fields { o[k] = x }
                    v = .object(o)
                } else {
                    path.set(item, in: &v)
                }
                if let indexField { indexField.set(.number(Double(i + 1)), in: &v) }
                out.append(Record(v, position: r.position))
            }
        }
        return out
    }
}

extension UnnestStep {
    static let spec = StepSpec(
        name: "unnest",
        summary: "One record per item of a list field, keeping the parent's fields.",
        configSchema: Schema.object([
            "path": Schema.field("List field", "The field path of the list"),
            "keep": Schema.fields("Keep", "The parent fields each item keeps (default: all but the list)"),
            "as": Schema.field("As", "A field for the item (default: an object item's fields join the parent's)"),
            "index": Schema.field("Index field", "A field for the item's position in the list, from 1"),
            "empty": Schema.choice("Empty list", "drop the record, keep it without the list, or report an error "
                                   + "(unnest.empty)", ["drop", "keep", "error"], default: "drop"),
        ], required: ["path"]),
        example: """
        - unnest: {path: lines, keep: [order_id, customer], index: line_no}
        """,
        build: { config, spec, _ in try UnnestStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path) })
}
