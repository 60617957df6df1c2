import Foundation
import GRDB
import OnrampConnectorKit
import OnrampCore

/// Reads one page per batch: `WHERE (order…) > (last…) ORDER BY order… LIMIT n`, with the last row's
/// values bound as parameters (as stored: an integer stays an integer, however large). Rows with NULL in
/// an ordering column cannot be paged: a read from the start reports each as an error record. Incremental
/// reads carry the position as each batch's checkpoint.
struct SQLiteReader: BatchReader, @unchecked Sendable {
    var queue: DatabaseQueue?
    let relation: String
    let order: [String]
    /// A column read only to order the pages (the rowid), left out of the records.
    let hidden: String?
    var position: KeysetPosition?
    let incremental: Bool
    let batchSize: Int
    let file: String
    var done = false
    /// Rows this read will page through (counted at its first batch) and rows read so far, for its progress.
    var total: Int64?
    var rowsRead: Int64 = 0
    /// Whether the rows that cannot be paged (NULL in an ordering column) are still to be reported.
    var reportUnorderable: Bool

    init(queue: DatabaseQueue, relation: String, order: [String], hidden: String?, position: KeysetPosition?,
         incremental: Bool, batchSize: Int, file: String) {
        self.queue = queue
        self.relation = relation
        self.order = order
        self.hidden = hidden
        self.position = position
        self.incremental = incremental
        self.batchSize = batchSize
        self.file = file
        reportUnorderable = position == nil
    }

    static let hiddenAlias = "__onramp_rowid"
    static let limitUnorderable = 1000

    var field: String { incremental ? "source.incremental" : "source.config.key" }
    /// The ordering columns as the SQL names them.
    var columns: [String] { order.map { $0 == hidden ? Self.hiddenAlias : SQLiteCatalog.quote($0) } }
    var base: String { "\(hidden.map { "SELECT \($0) AS \(Self.hiddenAlias), *" } ?? "SELECT *") FROM \(relation)" }

    mutating func next() async throws -> SourceBatch? {
        guard !done, let queue else { return nil }
        try Task.checkCancellation()
        var errors: [OnrampCore.RecordError] = []
        if reportUnorderable {
            reportUnorderable = false
            errors = try await unorderable(queue)
        }
        let notNull = columns.map { "\($0) IS NOT NULL" }.joined(separator: " AND ")
        var sql = "SELECT * FROM (\(base)) WHERE \(notNull)"
        var arguments = StatementArguments()
        if let position {
            let tuple = columns.count == 1 ? columns[0] : "(\(columns.joined(separator: ", ")))"
            let marks = columns.count == 1 ? "?" : "(\(columns.map { _ in "?" }.joined(separator: ", ")))"
            sql += " AND \(tuple) > \(marks)"
            arguments = StatementArguments(try position.values.map { try SQLiteValues.bound($0, field: field) })
        }
        if total == nil {
            let count = sql.replacingOccurrences(of: "SELECT * FROM", with: "SELECT count(*) FROM", options: .anchored)
            total = try await fetch(queue, count, arguments).first.flatMap { (row: Row) -> Int64? in row[0] } ?? 0
        }
        // One row more than the page: it shows whether the page ends inside a group of rows sharing a key.
        sql += " ORDER BY \(columns.joined(separator: ", ")) LIMIT \(batchSize + 1)"
        var rows = try await fetch(queue, sql, arguments)
        if rows.count <= batchSize { done = true }
        if rows.count > batchSize {
            let extra = rows.removeLast()
            if tuple(extra) == tuple(rows[rows.count - 1]) {
                throw OnrampError("sqlite.key_not_unique", "rows of \(file) share the key (\(describe(extra))): give "
                                  + "key columns that identify one row", at: field)
            }
        }
        guard let last = rows.last else { return errors.isEmpty ? nil : SourceBatch(errors: errors) }
        for column in order where !last.hasColumn(column == hidden ? Self.hiddenAlias : column) {
            throw OnrampError("sql.column", "no column '\(column)' in the rows of \(file)", at: field)
        }
        var records: [OnrampCore.Record] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            records.append(OnrampCore.Record(object(row), position: SourcePosition(file: file, key: describe(row))))
        }
        position = KeysetPosition(columns: order, values: tuple(last).map(SQLiteValues.positionValue))
        rowsRead += Int64(records.count)
        return SourceBatch(records: records, errors: errors, checkpoint: incremental ? position?.checkpoint : nil,
                           progress: total.map { ReadProgress(done: min(rowsRead, $0), total: $0) })
    }

    /// The rows that cannot be paged (NULL in an ordering column), as error records (at most 1,000).
    private func unorderable(_ queue: DatabaseQueue) async throws -> [OnrampCore.RecordError] {
        let isNull = columns.map { "\($0) IS NULL" }.joined(separator: " OR ")
        let rows = try await fetch(queue, "SELECT * FROM (\(base)) WHERE \(isNull) LIMIT \(Self.limitUnorderable)", [])
        return rows.map { row in
            let columns = order.filter { (row[$0 == hidden ? Self.hiddenAlias : $0] as DatabaseValue).isNull }
            return OnrampCore.RecordError(stage: .extract, position: SourcePosition(file: file, key: describe(row)), code: "sqlite.null_key",
                               message: "\(columns.joined(separator: ", ")) is NULL: the row cannot be read in key order",
                               value: object(row))
        }
    }

    private func fetch(_ queue: DatabaseQueue, _ sql: String, _ arguments: StatementArguments) async throws -> [Row] {
        do {
            return try await queue.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
        } catch let e as DatabaseError {
            throw OnrampError("sql.failed", "\(file): \(e.message ?? "\(e)")", at: incremental ? "source.incremental" : "source.config")
        }
    }

    private func tuple(_ row: Row) -> [DatabaseValue] { order.map { row[$0 == hidden ? Self.hiddenAlias : $0] } }

    private func describe(_ row: Row) -> String {
        zip(order, tuple(row)).map { "\($0)=\(SQLiteValues.value($1).scalarText ?? "")" }.joined(separator: ",")
    }

    private func object(_ row: Row) -> Value {
        var object = Value.Object()
        for (name, dbValue) in row where name != Self.hiddenAlias { object[name] = SQLiteValues.value(dbValue) }
        return .object(object)
    }

    mutating func close() async {
        try? queue?.close()
        queue = nil
    }
}

/// SQLite storage classes as record values; positions keep the stored value exactly, for binding.
enum SQLiteValues {
    /// Integers beyond ±2^53 are their decimal text, so no digit is lost.
    static func value(_ dbValue: DatabaseValue) -> Value {
        switch dbValue.storage {
        case .null: return .null
        case .int64(let i): return abs(i) <= 1 << 53 ? .number(Double(i)) : .string(String(i))
        case .double(let d): return .number(d)
        case .string(let s): return .string(s)
        case .blob(let data): return .string(data.base64EncodedString())
        }
    }

    /// A position value in the checkpoint: tagged with its storage class, so it binds back as it was stored.
    static func positionValue(_ dbValue: DatabaseValue) -> Value {
        switch dbValue.storage {
        case .null: return .null
        case .int64(let i): return ["integer": .string(String(i))]
        case .double(let d): return ["real": .number(d)]
        case .string(let s): return ["text": .string(s)]
        case .blob(let data): return ["blob": .string(data.base64EncodedString())]
        }
    }

    static func bound(_ value: Value, field: String) throws -> DatabaseValue {
        if let s = value["integer"]?.stringValue, let i = Int64(s) { return i.databaseValue }
        if let d = value["real"]?.numberValue { return d.databaseValue }
        if let s = value["text"]?.stringValue { return s.databaseValue }
        if let b = value["blob"]?.stringValue, let data = Data(base64Encoded: b) { return data.databaseValue }
        throw OnrampError("checkpoint.invalid", "the stored position is not one this connector wrote; run a full resync", at: field)
    }
}
