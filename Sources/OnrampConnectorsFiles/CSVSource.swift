import Foundation
import OnrampConnectorKit
import OnrampCore

/// `csv`: RFC 4180 files (a path or a glob), header or not, any delimiter/quote/escape, UTF-8 with or
/// without BOM, Windows-1252 or ISO-8859-1, LF or CRLF. A malformed row is an error record with its
/// line number; the rows around it go on.
struct CSVSource: Source {
    struct Options: Sendable {
        var location: FileSet.Location
        var delimiter: UInt8
        var quote: UInt8
        var escape: UInt8?
        var header: Bool
        var columns: [String]?
        var encoding: TextEncoding
        var skipEmpty: Bool
        var incremental: Bool
        var multiline: Bool
    }

    let options: Options

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        var files = try FileSet.list(options.location, allowNone: options.incremental)
        if options.incremental { files = FileSet.pending(files, checkpoint: checkpoint) }
        return Reader(options: options, files: files, checkpoint: options.incremental ? checkpoint : nil, batchSize: batchSize)
    }

    struct Reader: BatchReader, @unchecked Sendable {
        let options: Options
        var files: [FileSet.Entry]
        var checkpoint: Value?
        let batchSize: Int
        var current: (entry: FileSet.Entry, handle: FileHandle, tokenizer: CSVTokenizer, header: [String]?, firstChunk: Bool)?
        var pendingRows = CSVTokenizer.Rows()
        var rowIndex = 0

        init(options: Options, files: [FileSet.Entry], checkpoint: Value?, batchSize: Int) {
            self.options = options
            self.files = files
            self.checkpoint = checkpoint
            self.batchSize = batchSize
        }

        /// Rows go into a lazy table per file (`SourceBatch.tables`); rows that cannot be read become errors.
        mutating func next() async throws -> SourceBatch? {
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
                    guard let h = FileHandle(forReadingAtPath: entry.path) else {
                        batch.errors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name), code: "source.unreadable", message: "cannot open file"))
                        continue
                    }
                    current = (entry, h, CSVTokenizer(delimiter: options.delimiter, quote: options.quote, escape: options.escape, multiline: options.multiline), options.columns, true)
                }
                let chunk = current!.handle.readData(ofLength: 1 << 18)
                if chunk.isEmpty {
                    // End of file: flush its last rows into this batch, which then carries the file's checkpoint.
                    current!.tokenizer.finish(into: &pendingRows)
                    for r in 0..<pendingRows.count { convert(r, into: &table, batch: &batch) }
                    pendingRows.removeAll()
                    if let t = table.take() { batch.tables.append(t) }
                    try? current!.handle.close()
                    if options.incremental {
                        checkpoint = FileSet.checkpoint(checkpoint, adding: current!.entry)
                        batch.checkpoint = checkpoint
                    }
                    current = nil
                    break
                }
                var bytes = [UInt8](chunk)
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
    }
}

extension CSVSource {
    static let spec = SourceSpec(
        name: "csv",
        summary: "Reads CSV files (a path or a glob): RFC 4180, header or not, UTF-8/Windows-1252/ISO-8859-1.",
        configSchema: [
            "type": "object", "additionalProperties": false, "required": ["path"],
            "properties": [
                "path": ["type": "string", "minLength": 1, "description": "File path or glob (*, ?), relative to the pipeline file (CLI) or the tenant's file area (server)"],
                "delimiter": ["type": "string", "default": ",", "description": "One character; \\t for tab"],
                "quote": ["type": "string", "default": "\""],
                "escape": ["type": "string", "description": "Escape character inside quotes (default: a doubled quote)"],
                "header": ["type": "boolean", "default": true],
                "columns": ["type": "array", "items": ["type": "string"], "description": "Column names when the file has no header"],
                "encoding": ["type": "string", "enum": ["utf-8", "windows-1252", "iso-8859-1"], "default": "utf-8"],
                "skip_empty_rows": ["type": "boolean", "default": true],
                "multiline_fields": ["type": "boolean", "default": false, "description": "Allow line breaks inside quoted fields"],
            ],
        ],
        incrementalSchema: [
            "type": "object", "additionalProperties": false, "required": ["mode"],
            "properties": ["mode": ["type": "string", "enum": ["new_files"]]],
        ],
        build: { config, incremental, resources in
            func byte(_ key: String) throws -> UInt8? {
                guard let s = config[key]?.stringValue else { return nil }
                let t = s == "\\t" ? "\t" : s
                guard t.utf8.count == 1 else { throw OnrampError("config.char", "must be a single ASCII character", at: "source.config.\(key)") }
                return t.utf8.first
            }
            return CSVSource(options: Options(
                location: try FileSet.Location(config["path"]!.stringValue!, in: resources),
                delimiter: try byte("delimiter")!, quote: try byte("quote")!, escape: try byte("escape"),
                header: config["header"]?.boolValue ?? true,
                columns: config["columns"]?.arrayValue?.compactMap(\.stringValue),
                encoding: TextEncoding(rawValue: config["encoding"]?.stringValue ?? "utf-8")!,
                skipEmpty: config["skip_empty_rows"]?.boolValue ?? true,
                incremental: incremental != nil, multiline: config["multiline_fields"]?.boolValue ?? false))
        })
}
