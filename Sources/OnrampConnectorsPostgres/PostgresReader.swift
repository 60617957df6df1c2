import OnrampConnectorKit
import OnrampCore
import PostgresNIO

/// Reads the open statement `batchSize` rows at a time. Incremental batches carry the last row's
/// (cursor..., key...) tuple as their checkpoint; a row that cannot be decoded is an extract error.
struct PostgresReader: BatchReader {
    let stream: RowStream
    let source: PostgresSource
    var checkpoint: Value?
    let batchSize: Int
    var rowNumber = 0
    /// What positions name: the table, or `query`.
    let streamName: String
    /// Every row starts as this object (the columns in order, all null), so rows share its keys: a cell is stored
    /// by its index, with no key hashed or copied per row.
    let template: Value.Object

    init(stream: RowStream, source: PostgresSource, checkpoint: Value?, batchSize: Int, columns: [String]) {
        self.stream = stream
        self.source = source
        self.checkpoint = checkpoint
        self.batchSize = batchSize
        self.streamName = source.streamName
        template = Value.Object(uniqueKeys: columns, values: repeatElement(Value.null, count: columns.count))
    }

    mutating func next() async throws -> SourceBatch? {
        var rows: [PostgresRow] = []
        rows.reserveCapacity(min(batchSize, 4096))
        while rows.count < batchSize {
            try Task.checkCancellation()
            let row: PostgresRow?
            do {
                row = try await stream.next()
            } catch {
                throw source.endpoint.describe(error, prefix: "source.config", table: source.relationField)
            }
            guard let row else {
                await stream.close(commit: true, logger: source.logger)
                break
            }
            rows.append(row)
        }
        if rows.isEmpty { return nil }
        var batch = SourceBatch()
        for part in await Self.decode(rows, template: template, types: source.types) {
            for (object, failure) in part {
                rowNumber += 1
                add(object, failure: failure, into: &batch)
            }
        }
        if source.incremental != nil { batch.checkpoint = checkpoint }
        return batch
    }

    /// The rows as objects, in order (in parts), each with what made a cell unreadable; a large batch is decoded in
    /// two halves at once (the reader waits for the database between batches, the decoding need not).
    static func decode(_ rows: [PostgresRow], template: Value.Object, types: PostgresTypes) async
        -> [[(Value.Object, String?)]] {
        guard rows.count >= 512 else { return [decode(rows[...], template: template, types: types)] }
        let middle = rows.count / 2
        async let first = decode(rows[..<middle], template: template, types: types)
        let second = decode(rows[middle...], template: template, types: types)
        return [await first, second]
    }

    static func decode(_ rows: ArraySlice<PostgresRow>, template: Value.Object, types: PostgresTypes)
        -> [(Value.Object, String?)] {
        rows.map { row in
            var object = template
            var failure: String?
            for (index, cell) in zip(object.values.indices, row) {
                do {
                    object.values[index] = try types.value(cell)
                } catch {
                    failure = "column \(cell.columnName) (type \(cell.dataType)) could not be read: \(error)"
                }
            }
            return (object, failure)
        }
    }

    private mutating func add(_ object: Value.Object, failure: String?, into batch: inout SourceBatch) {
        let value = Value.object(object)
        guard let incremental = source.incremental else {
            let position = SourcePosition(file: streamName, line: rowNumber)
            if let failure {
                batch.errors.append(RecordError(stage: .extract, position: position, code: "postgres.decode",
                                                message: failure, value: value))
            } else {
                batch.records.append(Record(value, position: position))
            }
            return
        }
        var tuple = Value.Object()
        for name in incremental.columns { tuple[name] = object[name] ?? .null }
        let key = incremental.key.map { "\($0)=\(object[$0]?.scalarText ?? "")" }.joined(separator: ",")
        let position = SourcePosition(file: streamName, key: key)
        if let null = incremental.columns.first(where: { tuple[$0]?.isNull ?? true }) {
            batch.errors.append(RecordError(stage: .extract, position: position, code: "postgres.null_cursor",
                                            message: "column \(null) is NULL: incremental reads need the cursor and key "
                                                + "columns NOT NULL", value: value))
            return
        }
        checkpoint = .object(tuple)
        if let failure {
            batch.errors.append(RecordError(stage: .extract, position: position, code: "postgres.decode",
                                            message: failure, value: value))
        } else {
            batch.records.append(Record(value, position: position))
        }
    }

    mutating func close() async {
        await stream.close(commit: false, logger: source.logger)
    }
}
