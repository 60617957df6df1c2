import OnrampCore
import OnrampExpression

/// The expression's value for one row (inner nil: undefined): the row expression's answer, else the
/// full evaluation of the row's record; nil when that evaluation fails.
private func rowValue(_ expr: JSONata, _ fast: RowExpression, _ table: TableBatch, _ row: Int,
                      _ functions: JSONata.FunctionRegistry) -> Value?? {
    if let v = fast.evaluate(table, row: row) { return v }
    do { return .some(try expr.evaluate(table.record(at: row).value, functions: functions)) } catch { return nil }
}

extension SetStep: TableStep {
    /// Computes each field as a column when every expression is a row expression; a row one of them
    /// cannot decide is evaluated in full. Any other expression, an evaluation error, or an existing
    /// field left out of some rows sends the table to the record path, which reports the error and
    /// keeps the field order exactly.
    func process(table: TableBatch) -> TableBatch? {
        let names = table.columns.map(\.name)
        var programs: [(String, JSONata, RowExpression)] = []
        for (name, expr) in fields {
            guard let fast = RowExpression(expr, columns: names, functions: functions) else { return nil }
            programs.append((name, expr, fast))
        }
        var computed: [(String, [Value?])] = []
        for (name, expr, fast) in programs {
            var values: [Value?] = []
            values.reserveCapacity(table.rowCount)
            for row in 0..<table.rowCount {
                guard let v = rowValue(expr, fast, table, row, functions) else { return nil }
                values.append(v)
            }
            computed.append((name, values))
        }
        var out = table
        for (name, values) in computed {
            if let i = out.index(of: name) {
                guard !values.contains(where: { $0 == nil }) else { return nil }
                out.columns[i].column = .computed(values)
            } else {
                out.columns.append((name, .computed(values)))
            }
        }
        return out
    }
}

extension ExpressionStep: TableStep {
    /// `filter` keeps the rows whose predicate is true, when the predicate is a row expression; a
    /// row it cannot decide is evaluated in full. `map`, an evaluation error or a non-boolean
    /// result (an error record to report) take the record path.
    func process(table: TableBatch) -> TableBatch? {
        guard kind == .filter, let fast = RowExpression(expression, columns: table.columns.map(\.name), functions: functions) else {
            return nil
        }
        var keep: [Int] = []
        keep.reserveCapacity(table.rowCount)
        for row in 0..<table.rowCount {
            guard let v = rowValue(expression, fast, table, row, functions) else { return nil }
            switch v {
            case .bool(true)?: keep.append(row)
            case nil, .bool(false)?, .null?: break
            default: return nil
            }
        }
        return keep.count == table.rowCount ? table : table.selecting(keep)
    }
}

extension RenameStep: TableStep {
    /// Renames columns; a rename onto a name already present (fields merging) takes the record path.
    func process(table: TableBatch) -> TableBatch? {
        var out = table
        for i in out.columns.indices {
            if let to = pairs[out.columns[i].name] { out.columns[i].name = to }
        }
        guard Set(out.columns.map(\.name)).count == out.columns.count else { return nil }
        return out
    }
}

extension DropStep: TableStep {
    func process(table: TableBatch) -> TableBatch? {
        var out = table
        out.columns.removeAll { fields.contains($0.name) }
        return out
    }
}
