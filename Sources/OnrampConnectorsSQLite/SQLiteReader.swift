import Foundation
import GRDB
import OnrampConnectorKit
import OnrampCore

/// Reads one page per batch: `WHERE (order…) > (last…) ORDER BY order… LIMIT n`, with the last row's
/// values bound as parameters. Incremental reads carry the position as each batch's checkpoint.
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

    static let hiddenAlias = "__onramp_rowid"

    mutating func next() async throws -> SourceBatch? {
        guard !done, let queue else { return nil }
        try Task.checkCancellation()
        let columns = order.map { $0 == hidden ? SQLiteReader.hiddenAlias : SQLiteCatalog.quote($0) }
        let select = hidden.map { "SELECT \($0) AS \(SQLiteReader.hiddenAlias), *" } ?? "SELECT *"
        var sql = "\(select) FROM \(relation)"
        var arguments = StatementArguments()
        if let position {
            let tuple = columns.count == 1 ? columns[0] : "(\(columns.joined(separator: ", ")))"
            let marks = columns.count == 1 ? "?" : "(\(columns.map { _ in "?" }.joined(separator: ", ")))"
            sql = "SELECT * FROM (\(sql)) WHERE \(tuple) > \(marks)"
            arguments = StatementArguments(position.values.map(SQLiteValues.databaseValue))
        }
        sql += " ORDER BY \(columns.joined(separator: ", ")) LIMIT \(batchSize)"
        let rows: [Row]
        do {
            rows = try await queue.read { [sql, arguments] db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
        } catch let e as DatabaseError {
            throw OnrampError("sql.failed", "\(file): \(e.message ?? "\(e)")", at: incremental ? "source.incremental" : "source.config")
        }
        if rows.count < batchSize { done = true }
        guard let last = rows.last else { return nil }
        for column in order where !last.hasColumn(column == hidden ? SQLiteReader.hiddenAlias : column) {
            throw OnrampError("sql.column", "no column '\(column)' in the rows of \(file)",
                              at: incremental ? "source.incremental" : "source.config.key")
        }
        var records: [OnrampCore.Record] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            var object = Value.Object()
            for (name, dbValue) in row where name != SQLiteReader.hiddenAlias { object[name] = SQLiteValues.value(dbValue) }
            let key = order.map { "\($0)=\(SQLiteValues.value(row[$0 == hidden ? SQLiteReader.hiddenAlias : $0]).scalarText ?? "")" }
            records.append(OnrampCore.Record(.object(object), position: SourcePosition(file: file, key: key.joined(separator: ","))))
        }
        position = KeysetPosition(columns: order, values: order.map {
            SQLiteValues.value(last[$0 == hidden ? SQLiteReader.hiddenAlias : $0] as DatabaseValue)
        })
        return SourceBatch(records: records, checkpoint: incremental ? position?.checkpoint : nil)
    }

    mutating func close() async {
        try? queue?.close()
        queue = nil
    }
}

/// SQLite storage classes as record values, and back for bound parameters.
enum SQLiteValues {
    static func value(_ dbValue: DatabaseValue) -> Value {
        switch dbValue.storage {
        case .null: return .null
        case .int64(let i): return .number(Double(i))
        case .double(let d): return .number(d)
        case .string(let s): return .string(s)
        case .blob(let data): return .string(data.base64EncodedString())
        }
    }

    static func databaseValue(_ value: Value) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .bool(let b): return (b ? 1 : 0).databaseValue
        case .number(let d):
            if d == d.rounded(), abs(d) < 9.0e15 { return Int64(d).databaseValue }
            return d.databaseValue
        case .string(let s): return s.databaseValue
        case .array, .object: return JSONWriter.string(value).databaseValue
        }
    }
}
