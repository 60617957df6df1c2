/// A `RecordTable` seen through the steps applied to it so far: its columns renamed, dropped,
/// reordered or computed, and its rows selected, without touching the bytes. `records()` gives
/// exactly the records the record-at-a-time path would have produced.
public struct TableBatch: Sendable {
    public enum Column: Sendable {
        /// A column of the underlying table, as text.
        case raw(Int)
        /// Computed values, one per row of the batch; nil leaves the field out of that row.
        case computed([Value?])
    }

    public let table: RecordTable
    public var columns: [(name: String, column: Column)]
    /// The table rows in this batch, in order; nil: all of them.
    public private(set) var rows: [Int]?

    public init(_ table: RecordTable) {
        self.table = table
        columns = table.columns.enumerated().map { ($0.element, .raw($0.offset)) }
    }

    public var rowCount: Int { rows?.count ?? table.rowCount }

    /// The row of the underlying table that row `row` of this batch is.
    @inlinable
    public func tableRow(_ row: Int) -> Int { rows?[row] ?? row }

    /// Only the given rows (ascending indexes into this batch), computed columns included.
    public func selecting(_ keep: [Int]) -> TableBatch {
        var out = self
        out.rows = keep.map(tableRow)
        for i in out.columns.indices {
            if case .computed(let values) = out.columns[i].column { out.columns[i].column = .computed(keep.map { values[$0] }) }
        }
        return out
    }

    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// The value of one field of one row; nil when the row leaves it out.
    public func value(row: Int, column: Int) -> Value? {
        switch columns[column].column {
        case .raw(let c): return .string(table.string(row: tableRow(row), column: c))
        case .computed(let values): return values[row]
        }
    }

    public func record(at row: Int) -> Record {
        record(at: row, uniqueNames: Set(columns.map(\.name)).count == columns.count)
    }

    /// With unique column names the object is built without looking up its keys as it grows.
    private func record(at row: Int, uniqueNames: Bool) -> Record {
        var o: Value.Object
        if uniqueNames {
            var keys: [String] = []
            var values: [Value] = []
            keys.reserveCapacity(columns.count)
            values.reserveCapacity(columns.count)
            for i in columns.indices {
                if let v = value(row: row, column: i) {
                    keys.append(columns[i].name)
                    values.append(v)
                }
            }
            o = Value.Object(uncheckedUniqueKeys: keys, values: values)
        } else {
            o = Value.Object(minimumCapacity: columns.count)
            for i in columns.indices {
                if let v = value(row: row, column: i) { o[columns[i].name] = v }
            }
        }
        return Record(.object(o), position: table.position(row: tableRow(row)))
    }

    public func records() -> [Record] {
        let unique = Set(columns.map(\.name)).count == columns.count
        return (0..<rowCount).map { record(at: $0, uniqueNames: unique) }
    }
}
