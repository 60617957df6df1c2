import OnrampCore
import OnrampExpression

/// `group`: rows with the same key become one document. ERP exports put order headers and lines
/// in rows; TAXMAN wants one transaction with a `lines` array.
///
/// The document is the header row's fields (rows matching `header`) or, without `header`, the
/// first row's fields, plus the other rows under `into`. `consecutive` (default) emits a group when
/// the key changes and holds one group in memory; `keyed` gathers the whole input (up to `max_groups`).
final class GroupStep: Step {
    enum Mode: String { case consecutive, keyed }
    struct Group {
        var key: String
        var first: Record
        var header: Record?
        var rows: [Value] = []
        var problems: [RecordError] = []
    }

    let by: JSONata
    let byField: String?
    let header: JSONata?
    let into: String
    let mode: Mode
    let maxGroups: Int
    let label: String
    let functions: JSONata.FunctionRegistry
    private var current: Group?
    private var keyed: [String: Group] = [:]
    private var order: [String] = []

    init(config: Value, path: String, label: String, functions: JSONata.FunctionRegistry) throws(OnrampError) {
        guard case .object(let o) = config else { throw OnrampError("spec.type", "must be an object with `by`", at: path) }
        for k in o.keys where !["by", "header", "into", "mode", "max_groups"].contains(k) {
            throw OnrampError("spec.unknown_key", "unknown key; expected one of by, header, into, mode, max_groups", at: "\(path).\(k)")
        }
        guard let b = o["by"] else { throw OnrampError("spec.missing", "required key is missing", at: "\(path).by") }
        by = try StepFactory.compile(b, "\(path).by")
        byField = by.fieldName
        header = try o["header"].map { (v) throws(OnrampError) in try StepFactory.compile(v, "\(path).header") }
        guard let into = o["into"]?.stringValue ?? (o["into"] == nil ? "lines" : nil) else {
            throw OnrampError("spec.type", "must be a field name", at: "\(path).into")
        }
        self.into = into
        guard let mode = Mode(rawValue: o["mode"]?.stringValue ?? "consecutive") else {
            throw OnrampError("spec.enum", "must be consecutive or keyed", at: "\(path).mode")
        }
        self.mode = mode
        switch o["max_groups"] {
        case nil: maxGroups = 1_000_000
        case .number(let n)? where n >= 1 && n <= 10_000_000 && n == n.rounded(): maxGroups = Int(n)
        default: throw OnrampError("spec.range", "must be a whole number from 1 to 10000000", at: "\(path).max_groups")
        }
        self.label = label
        self.functions = functions
    }

    var isIdle: Bool { current == nil && keyed.isEmpty }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var out: [Record] = []
        for r in records {
            let key: String
            let isHeader: Bool
            do {
                guard let k = try keyValue(r), let text = k.scalarText, !text.isEmpty else {
                    errors.append(RecordError(stage: .transform, position: r.position, code: "group.no_key", message: "the group key is empty", step: label, value: r.value))
                    continue
                }
                key = text
                if let header { isHeader = try header.evaluate(r.value, functions: functions) == .bool(true) } else { isHeader = false }
            } catch {
                errors.append(StepFactory.evaluationError(error, r, label))
                continue
            }
            switch mode {
            case .consecutive:
                if let c = current, c.key != key {
                    if let doc = emit(c, errors: &errors) { out.append(doc) }
                    current = nil
                }
                if current == nil { current = Group(key: key, first: r) }
                add(r, isHeader: isHeader, to: &current!)
            case .keyed:
                if keyed[key] == nil {
                    if keyed.count >= maxGroups {
                        errors.append(RecordError(stage: .transform, position: r.position, code: "group.too_many", message: "more than \(maxGroups) open groups", step: label, value: r.value))
                        continue
                    }
                    keyed[key] = Group(key: key, first: r)
                    order.append(key)
                }
                add(r, isHeader: isHeader, to: &keyed[key]!)
            }
        }
        return out
    }

    /// `by` for one record; a plain field name holding a scalar is read without the evaluator.
    private func keyValue(_ r: Record) throws(JSONataError) -> Value? {
        if let field = byField, case .object(let o) = r.value, let v = o[field], v.scalarText != nil { return v }
        return try by.evaluate(r.value, functions: functions)
    }

    func finish(errors: inout [RecordError]) -> [Record] {
        var out: [Record] = []
        if let c = current, let doc = emit(c, errors: &errors) { out.append(doc) }
        current = nil
        for k in order { if let g = keyed[k], let doc = emit(g, errors: &errors) { out.append(doc) } }
        keyed = [:]
        order = []
        return out
    }

    private func add(_ r: Record, isHeader: Bool, to g: inout Group) {
        if isHeader {
            if g.header != nil {
                g.problems.append(RecordError(stage: .transform, position: r.position, code: "group.duplicate_header",
                                              message: "a second header row for key \(g.key)", step: label, value: r.value))
            } else {
                g.header = r
            }
        } else {
            g.rows.append(r.value)
        }
    }

    private func emit(_ g: Group, errors: inout [RecordError]) -> Record? {
        errors.append(contentsOf: g.problems)
        if header != nil && g.header == nil {
            errors.append(RecordError(stage: .transform, position: g.first.position, code: "group.no_header",
                                      message: "\(g.rows.count) row(s) for key \(g.key) have no header row", step: label, value: .array(g.rows)))
            return nil
        }
        let base = g.header ?? g.first
        var doc = base.value.objectValue ?? ["value": base.value]
        doc[into] = .array(g.rows)
        return Record(.object(doc), position: base.position)
    }
}
