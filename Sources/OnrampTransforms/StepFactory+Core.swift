import OnrampCore
import OnrampExpression

extension StepFactory {
    /// map, filter, set, rename, drop and group: their builders check their configs themselves.
    static let coreSpecs: [StepSpec] = [
        .expression(name: "map", summary: "The expression's value is the output record (undefined drops it).",
                    title: "Expression", description: "A JSONata expression giving the new record",
                    example: "- map: '{\"id\": order_no, \"total\": $number(amount)}'",
                    make: { ExpressionStep(kind: .map, expression: $0, label: $1, functions: $2) }),
        .expression(name: "filter", summary: "Records for which the predicate is true go on.",
                    title: "Predicate", description: "A JSONata expression giving true or false",
                    example: "- filter: \"status = 'open'\"",
                    make: { ExpressionStep(kind: .filter, expression: $0, label: $1, functions: $2) }),
        StepSpec(name: "set", summary: "Computed fields, each an expression on the record as it came in.",
                 configSchema: Schema.map("Fields", "Field: JSONata expression", values: Schema.expression("Expression", "")),
                 example: "- set: {total: \"qty * price\"}",
                 build: { config, spec, context in
                     guard case .object(let o) = config, !o.isEmpty else {
                         throw OnrampError("spec.type", "must be an object of field: expression", at: spec.path)
                     }
                     var fields: [(String, JSONata)] = []
                     for (k, v) in o { fields.append((k, try compile(v, "\(spec.path).\(k)"))) }
                     return SetStep(fields: fields, label: spec.name ?? spec.path, functions: context.functions)
                 }),
        StepSpec(name: "rename", summary: "Renames fields in place.",
                 configSchema: Schema.map("Fields", "Old name: new name", values: ["type": "string", "minLength": 1]),
                 example: "- rename: {cust_no: customer_id}",
                 build: { config, spec, _ in
                     guard case .object(let o) = config, !o.isEmpty else {
                         throw OnrampError("spec.type", "must be an object of old_name: new_name", at: spec.path)
                     }
                     var pairs: [(String, String)] = []
                     for (k, v) in o {
                         guard case .string(let to) = v, !to.isEmpty else {
                             throw OnrampError("spec.type", "must be a field name", at: "\(spec.path).\(k)")
                         }
                         pairs.append((k, to))
                     }
                     return RenameStep(pairs: pairs, label: spec.name ?? spec.path)
                 }),
        StepSpec(name: "drop", summary: "Removes fields.",
                 configSchema: ["type": "array", "title": "Fields", "items": ["type": "string"], "minItems": 1],
                 example: "- drop: [internal_note]",
                 build: { config, spec, _ in
                     guard case .array(let a) = config, !a.isEmpty else {
                         throw OnrampError("spec.type", "must be a list of field names", at: spec.path)
                     }
                     var names: [String] = []
                     for (i, v) in a.enumerated() {
                         guard case .string(let s) = v else { throw OnrampError("spec.type", "must be a field name", at: "\(spec.path)[\(i)]") }
                         names.append(s)
                     }
                     return DropStep(fields: Set(names), label: spec.name ?? spec.path)
                 }),
        StepSpec(name: "group", summary: "Rows with the same key become one document (order header and lines).",
                 configSchema: Schema.object([
                     "by": Schema.expression("Key", "The group key (a field name or an expression)"),
                     "header": Schema.expression("Header", "True for the row holding the document's fields"),
                     "into": Schema.string("Into", "The field for the other rows", extra: ["default": "lines"]),
                     "mode": Schema.choice("Mode", "consecutive: groups are runs of rows; keyed: anywhere in the input",
                                           ["consecutive", "keyed"], default: "consecutive"),
                     "max_groups": Schema.integer("Max groups", "Open groups at most (keyed)", min: 1, max: 10_000_000,
                                                  default: 1_000_000),
                 ], required: ["by"]),
                 example: "- group: {by: order_no, header: \"record_type = 'H'\", into: lines}",
                 build: { config, spec, context in
                     try GroupStep(config: config, path: spec.path, label: spec.name ?? spec.path, functions: context.functions)
                 }),
    ]
}
