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

    init(stream: RowStream, source: PostgresSource, checkpoint: Value?, batchSize: Int) {
        self.stream = stream
        self.source = source
        self.checkpoint = checkpoint
        self.batchSize = batchSize
        self.streamName = source.streamName
    }

    mutating func next() async throws -> SourceBatch? {
        var batch = SourceBatch()
        while batch.records.count + batch.errors.count < batchSize {
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
            rowNumber += 1
            read(row, into: &batch)
        }
        if batch.records.isEmpty && batch.errors.isEmpty { return nil }
        if source.incremental != nil { batch.checkpoint = checkpoint }
        return batch
    }

    private mutating func read(_ row: PostgresRow, into batch: inout SourceBatch) {
        var object = Value.Object(minimumCapacity: 16)
        var failure: String?
        for cell in row {
            do {
                object[cell.columnName] = try source.types.value(cell)
            } catch {
                failure = "column \(cell.columnName) (type \(cell.dataType)) could not be read: \(error)"
                object[cell.columnName] = .null
            }
        }
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
