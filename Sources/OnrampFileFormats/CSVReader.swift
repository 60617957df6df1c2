import Foundation
import OnrampConnectorKit
import OnrampCore

/// Reads CSV files in order: rows go into a lazy table per file (`SourceBatch.tables`); a malformed row
/// is an error record with its line number, and the rows around it go on.
struct CSVReader: BatchReader, @unchecked Sendable {
    let options: CSVOptions
    let input: InputOptions
    var files: [FileInput]
    var progress: FileProgress
    let batchSize: Int
    var current: (entry: FileInput, handle: FileBytes, tokenizer: CSVTokenizer, header: [String]?, firstChunk: Bool)?
    var pendingRows = CSVTokenizer.Rows()
    var rowIndex = 0

    init(options: CSVOptions, input: InputOptions, files: [FileInput], progress: FileProgress, batchSize: Int) {
        self.options = options
        self.input = input
        self.files = files
        self.progress = progress
        self.batchSize = batchSize
    }

    /// Rows go into a lazy table per file (`SourceBatch.tables`); rows that cannot be read become errors.
    mutating func next() async throws -> SourceBatch? {
        try Task.checkCancellation()
        var batch = SourceBatch()
        var table: RecordTable?
        while batch.recordCount + (table?.rowCount ?? 0) + batch.errors.count < batchSize {
            if rowIndex < pendingRows.count {
                convert(rowIndex, into: &table, batch: &batch)
                rowIndex += 1
                continue
            }
            pendingRows.removeAll()
            rowIndex = 0
            if current == nil {
                if files.isEmpty { break }
                let entry = files.removeFirst()
                let h: FileBytes
                do throws(FileReadError) {
                    h = try FileBytes(path: entry.path, compression: input.compression, limit: input.maxUncompressedBytes,
                                  counter: input.counter)
                } catch {
                    batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name),
                                                    code: error.code, message: error.message))
                    continue
                }
                current = (entry, h, CSVTokenizer(delimiter: options.delimiter, quote: options.quote, escape: options.escape, multiline: options.multiline), options.columns, true)
            }
            let chunk: [UInt8]
            do throws(FileReadError) { chunk = try current!.handle.read() ?? [] } catch {
                // A corrupt or too large compressed file: its rows so far are kept, its rest is this error.
                batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: current!.entry.name),
                                                code: error.code, message: error.message + "; the rest of the file is not read"))
                current!.tokenizer = CSVTokenizer(delimiter: options.delimiter, quote: options.quote, escape: options.escape,
                                                  multiline: options.multiline)
                chunk = []
            }
            if chunk.isEmpty {
                // End of file: flush its last rows into this batch, which then carries the file's checkpoint.
                current!.tokenizer.finish(into: &pendingRows)
                for r in 0..<pendingRows.count { convert(r, into: &table, batch: &batch) }
                pendingRows.removeAll()
                if let t = table.take() { batch.tables.append(t) }
                current!.handle.close()
                if let c = progress.finished(current!.entry) { batch.checkpoint = c }
                current = nil
                break
            }
            var bytes = chunk
            if current!.firstChunk {
                current!.firstChunk = false
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            }
            bytes.withUnsafeBufferPointer { current!.tokenizer.feed($0, into: &pendingRows) }
        }
        if let t = table.take() { batch.tables.append(t) }
        if batch.recordCount == 0 && batch.errors.isEmpty && batch.checkpoint == nil && current == nil && files.isEmpty {
            return nil
        }
        return batch
    }

    /// Adds tokenized row `r` to `table` (a new table when the columns change), or an error to the batch.
    private mutating func convert(_ r: Int, into table: inout RecordTable?, batch: inout SourceBatch) {
        guard let file = current?.entry.name else { return }
        let row = pendingRows.rows[r]
        // The common row: well-formed, after the header, ASCII or valid UTF-8, the right field count.
        if row.problem == nil, current!.header != nil || !options.header {
            let (bytes, fieldEnds) = pendingRows.packed(r)
            let columnCount = current!.header?.count ?? row.fieldCount
            if row.fieldCount == columnCount, table?.columns.count == columnCount, !bytes.isEmpty,
               options.encoding.isUTF8Already(bytes) {
                table!.append(line: row.line, utf8: bytes, fieldEnds: fieldEnds)
                return
            }
        }
        let position = SourcePosition(file: file, line: row.line)
        let fields = pendingRows.fields(r)
        var utf8: [ArraySlice<UInt8>] = []
        utf8.reserveCapacity(fields.count)
        for (i, f) in fields.enumerated() {
            guard let u = options.encoding.utf8(f) else {
                batch.errors.append(RecordError(stage: .extract, position: position, code: "csv.encoding",
                                                message: "field \(i + 1) is not valid \(options.encoding.rawValue)",
                                                value: .string(String(decoding: f, as: UTF8.self))))
                return
            }
            utf8.append(u)
        }
        // The row as read, for error reports only.
        func raw() -> Value {
            .string(utf8.map { String(decoding: $0, as: UTF8.self) }.joined(separator: String(decoding: [options.delimiter], as: UTF8.self)))
        }
        if let problem = row.problem {
            batch.errors.append(RecordError(stage: .extract, position: position, code: "csv.malformed", message: problem, value: raw()))
            return
        }
        if options.header && current!.header == nil {
            current!.header = utf8.map { String(decoding: $0, as: UTF8.self) }
            return
        }
        if options.skipEmpty && utf8.allSatisfy(\.isEmpty) { return }
        let header = current!.header
        let columnCount = header?.count ?? max(1, utf8.count)
        guard utf8.count == columnCount else {
            batch.errors.append(RecordError(stage: .extract, position: position, code: "csv.field_count",
                                            message: "expected \(columnCount) fields, found \(utf8.count)", value: raw()))
            return
        }
        if table?.columns.count != columnCount {
            if let t = table.take() { batch.tables.append(t) }
            table = RecordTable(columns: header ?? (1...columnCount).map { "column_\($0)" }, file: file, reservingRows: batchSize)
        }
        table!.append(line: row.line, fields: utf8)
    }

    mutating func close() async {
        current?.handle.close()
        current = nil
        files = []
    }
}
