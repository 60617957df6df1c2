import OnrampCore

extension LookupStep: TableStep {
    /// Matches on the table's columns and adds the looked-up fields as columns, without building records, when the
    /// keys are top-level columns, the fields set are top-level, no row goes into `into`, and the defaults do not set
    /// a field a match sets (their order could then differ per record). A record that matches nothing under
    /// `missing: error` sends the table to the record path, which reports it.
    func process(table: TableBatch) -> TableBatch? {
        let defaultFields = defaults.map(\.0)
        guard into == nil, keys.allSatisfy({ $0.record.keys.count == 1 }),
              assignments.allSatisfy({ $0.field.keys.count == 1 }), defaultFields.allSatisfy({ $0.keys.count == 1 }),
              Set(defaultFields).isDisjoint(with: assignments.map(\.field)) else { return nil }
        var keyColumns: [Int] = []
        for k in keys {
            guard let c = table.index(of: k.record.keys[0]) else { return nil }
            keyColumns.append(c)
        }
        // Each field written: its column in the input (kept where a row leaves it), and its values per row.
        let written = assignments.map(\.field.keys[0]) + defaultFields.map(\.keys[0])
        guard Set(written).count == written.count else { return nil }
        var values = written.map { name in
            let c = table.index(of: name)
            return (0..<table.rowCount).map { row in c.flatMap { table.value(row: row, column: $0) } }
        }
        for row in 0..<table.rowCount {
            let parts = keyColumns.map { table.value(row: row, column: $0) }
            if let k = key(parts), let match = index[k] {
                for (i, a) in assignments.enumerated() { values[i][row] = match[a.column] ?? .null }
            } else {
                switch missing {
                case "keep": break
                case "default": for (i, d) in defaults.enumerated() { values[assignments.count + i][row] = d.1 }
                default: return nil
                }
            }
        }
        var out = table
        for (name, column) in zip(written, values) {
            if let i = out.index(of: name) { out.columns[i].column = .computed(column) } else {
                out.columns.append((name, .computed(column)))
            }
        }
        return out
    }
}
