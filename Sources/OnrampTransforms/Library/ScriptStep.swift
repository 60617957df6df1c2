import OnrampCore
import OnrampExpression

/// `split` and `script`: a JSONata expression per record whose value is the output: an object is one record, a
/// list is one record per item (`split` needs a list), undefined drops the record. Anything else is an error.
final class ScriptStep: Step {
    let expression: JSONata
    let splitting: Bool
    let label: String
    let functions: JSONata.FunctionRegistry

    init(_ expression: JSONata, splitting: Bool, label: String, functions: JSONata.FunctionRegistry) {
        self.expression = expression
        self.splitting = splitting
        self.label = label
        self.functions = functions
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        ParallelChunks.process(records, errors: &errors) { r, out, errors in
            let result: Value?
            do throws(JSONataError) {
                result = try expression.evaluate(r.value, functions: functions)
            } catch {
                errors.append(StepFactory.evaluationError(error, r, label))
                return
            }
            let items: [Value]
            switch result {
            case nil: return
            case .array(let a)?: items = a
            case .object(let o)?: items = [.object(o)]
            case let other?:
                errors.append(RecordError(stage: .transform, position: r.position, code: "\(splitting ? "split" : "script").not_record",
                                          message: "the expression gave \(other.typeName), not an object or a list of objects",
                                          step: label, value: r.value))
                return
            }
            for (i, item) in items.enumerated() {
                guard case .object = item else {
                    errors.append(RecordError(stage: .transform, position: r.position,
                                              code: "\(splitting ? "split" : "script").not_record",
                                              message: "item \(i + 1) of the expression's list is \(item.typeName), not an object",
                                              step: label, value: r.value))
                    continue
                }
                out.append(Record(item, position: r.position))
            }
        }
    }
}

extension ScriptStep {
    static let splitSpec = StepSpec.expression(
        name: "split",
        summary: "One record into several: a JSONata expression that gives a list of records.",
        title: "Expression", description: "Gives a list of objects; each becomes a record",
        example: """
        - split: 'lines.{"order_id": $$.order_id, "sku": sku, "amount": qty * price}'
        """,
        make: { ScriptStep($0, splitting: true, label: $1, functions: $2) })

    static let scriptSpec = StepSpec.expression(
        name: "script",
        summary: "A JSONata block, the escape hatch: its value is the record, a list of records, or nothing (dropped).",
        title: "Script", description: "A JSONata block evaluated against each record",
        example: """
        - script: |
            (
              $net := $sum(lines.(qty * price));
              $merge([$, {"net": $net, "large": $net > 1000}])
            )
        """,
        make: { ScriptStep($0, splitting: false, label: $1, functions: $2) })
}
