import OnrampCore
import OnrampExpression

/// `map` (the expression's value is the output record; undefined drops it) and `filter`
/// (records for which the predicate is true go on).
final class ExpressionStep: Step {
    enum Kind { case map, filter }
    let kind: Kind
    let expression: JSONata
    let label: String
    let functions: JSONata.FunctionRegistry

    init(kind: Kind, expression: JSONata, label: String, functions: JSONata.FunctionRegistry) {
        self.kind = kind
        self.expression = expression
        self.label = label
        self.functions = functions
    }

    /// Records are independent here, so a batch is evaluated on all cores (in order).
    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        ParallelChunks.process(records, errors: &errors) { r, out, errors in
            do throws(JSONataError) {
                let v = try expression.evaluate(r.value, functions: functions)
                switch kind {
                case .map:
                    if let v { out.append(Record(v, position: r.position)) }
                case .filter:
                    if v == .bool(true) { out.append(r) } else if let v, v != .bool(false), v != .null, v.boolValue == nil {
                        errors.append(RecordError(stage: .transform, position: r.position, code: "filter.not_boolean",
                                                  message: "the filter expression gave \(v.typeName), not a boolean", step: label, value: r.value))
                    }
                }
            } catch {
                errors.append(StepFactory.evaluationError(error, r, label))
            }
        }
    }
}

/// `set`: computed fields, each an expression evaluated against the record as it came in.
final class SetStep: Step {
    let fields: [(String, JSONata)]
    let label: String
    let functions: JSONata.FunctionRegistry

    init(fields: [(String, JSONata)], label: String, functions: JSONata.FunctionRegistry) {
        self.fields = fields
        self.label = label
        self.functions = functions
    }

    /// Records are independent here, so a batch is evaluated on all cores (in order).
    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        ParallelChunks.process(records, errors: &errors) { r, out, errors in
            guard case .object(var o) = r.value else {
                errors.append(RecordError(stage: .transform, position: r.position, code: "set.not_object", message: "set needs an object record", step: label, value: r.value))
                return
            }
            for (name, expr) in fields {
                do throws(JSONataError) {
                    if let v = try expr.evaluate(r.value, functions: functions) { o[name] = v } else { o[name] = nil }
                } catch {
                    var e = StepFactory.evaluationError(error, r, label)
                    e.message = "\(name): \(e.message)"
                    errors.append(e)
                    return
                }
            }
            out.append(Record(.object(o), position: r.position))
        }
    }
}

/// `rename`: old field name to new, keeping the field's place.
final class RenameStep: Step {
    let pairs: [String: String]
    let label: String
    init(pairs: [(String, String)], label: String) {
        self.pairs = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        records.map { r in
            guard case .object(let o) = r.value else { return r }
            var out = Value.Object(minimumCapacity: o.count)
            for (k, v) in o { out[pairs[k] ?? k] = v }
            return Record(.object(out), position: r.position)
        }
    }
}

/// `drop`: removes fields.
final class DropStep: Step {
    let fields: Set<String>
    let label: String
    init(fields: Set<String>, label: String) { self.fields = fields; self.label = label }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        records.map { r in
            guard case .object(let o) = r.value else { return r }
            return Record(.object(o.filter { !fields.contains($0.key) }), position: r.position)
        }
    }
}
