import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OnrampConnectorKit
import OnrampCore

/// Writes records to a file as NDJSON or CSV (header from the first record's fields). Nothing touches the
/// disk until the first write (validating a pipeline builds its writers): then the folder is created
/// owner-only and the file opened without following a symbolic link, created `0600`, and either
/// truncated or, with `append`, added to (a CSV file keeps the header it has).
public actor RecordFileWriter: RecordSink {
    public typealias Format = SinkRequest.Format
    var handle: FileHandle?
    let format: Format
    let append: Bool
    /// Checks the folder once it exists (a confined file area: no link out of it).
    let checkFolder: @Sendable (String) throws -> Void
    let budget: OutputBudget?
    /// The tenant's file area quota, for a destination inside the area: charged what is written, credited
    /// what a truncated file held.
    let areaBudget: OutputBudget?
    /// Where errors say the file is (a config field; default: its path).
    let label: String?
    var columns: [String]?
    public let path: String

    public init(path: String, format: Format, append: Bool = false, budget: OutputBudget? = nil,
                areaBudget: OutputBudget? = nil, label: String? = nil,
                checkFolder: @escaping @Sendable (String) throws -> Void = { _ in }) {
        self.budget = budget
        self.areaBudget = areaBudget
        self.label = label
        self.path = path
        self.format = format
        self.append = append
        self.checkFolder = checkFolder
    }

    /// Whether anything was written (or the file created by `close(creating:)`).
    public var isOpen: Bool { handle != nil }

    private func open() throws -> FileHandle {
        if let handle { return handle }
        let dir = PathText.parent(path)
        if !dir.isEmpty {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try checkFolder(dir)
        }
        var old = stat()
        let truncated = !append && lstat(path, &old) == 0 && (old.st_mode & S_IFMT) == S_IFREG ? Int64(old.st_size) : 0
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o600)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "the path is a symbolic link; links are not followed" : String(cString: strerror(errno))
            throw OnrampError("file.create", "cannot create file: \(reason)", at: label ?? path)
        }
        if append, format == .csv, let existing = FileHandle(forReadingAtPath: path) {
            let head = existing.readData(ofLength: 64 << 10)
            try? existing.close()
            if let line = head.split(separator: 0x0A, omittingEmptySubsequences: false).first, !line.isEmpty {
                columns = CSVText.parseLine(String(decoding: line, as: UTF8.self))
            }
        }
        areaBudget?.credit(truncated)
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        handle = h
        return h
    }

    public func write(_ values: [Value]) throws {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 128)
        var keys = JSONWriter.KeyMemo()
        for v in values {
            switch format {
            case .ndjson:
                JSONWriter.write(record: v, into: &out, memo: &keys)
                out.append(0x0A)
            case .csv:
                let o = v.objectValue ?? ["value": v]
                if columns == nil {
                    columns = Array(o.keys)
                    out.append(contentsOf: CSVText.line(columns!).utf8)
                }
                out.append(contentsOf: CSVText.line(columns!.map { CSVText.field(o[$0]) }).utf8)
            }
        }
        try emit(out)
    }

    private func emit(_ bytes: [UInt8]) throws {
        try budget?.spend(bytes.count)
        let h = try open()
        try areaBudget?.spend(bytes.count)
        try h.write(contentsOf: bytes)
    }

    /// Writes a lazy table without building its records: NDJSON straight from its bytes, CSV cell by
    /// cell. False (nothing written) for CSV when two columns share a name (the record path merges them).
    public func write(table: TableBatch) throws -> Bool {
        var out: [UInt8] = []
        switch format {
        case .ndjson: writeNDJSON(table, into: &out)
        case .csv: guard writeCSV(table, into: &out) else { return false }
        }
        try emit(out)
        return true
    }

    /// The header is the first row's fields, as for records.
    private func writeCSV(_ table: TableBatch, into out: inout [UInt8]) -> Bool {
        let names = table.columns.map(\.name)
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        guard index.count == names.count else { return false }
        guard table.rowCount > 0 else { return true }
        if columns == nil {
            columns = names.indices.filter { table.value(row: 0, column: $0) != nil }.map { names[$0] }
            out.append(contentsOf: CSVText.line(columns!).utf8)
        }
        // Each header column's place in this table, found once per batch.
        let places = columns!.map { index[$0] }
        for row in 0..<table.rowCount {
            let cells = places.map { place in CSVText.field(place.flatMap { table.value(row: row, column: $0) }) }
            out.append(contentsOf: CSVText.line(cells).utf8)
        }
        return true
    }

    private func writeNDJSON(_ table: TableBatch, into out: inout [UInt8]) {
        let keys: [[UInt8]] = table.columns.map { c in
            var k: [UInt8] = []
            JSONWriter.writeString(c.name, into: &k)
            k.append(UInt8(ascii: ":"))
            return k
        }
        out.reserveCapacity(table.table.bytes.count * 2 + table.rowCount * (keys.reduce(2) { $0 + $1.count + 1 }))
        table.table.bytes.withUnsafeBufferPointer { bytes in
            for row in 0..<table.rowCount {
                let tableRow = table.tableRow(row)
                out.append(UInt8(ascii: "{"))
                var first = true
                for (i, c) in table.columns.enumerated() {
                    switch c.column {
                    case .raw(let rc):
                        if !first { out.append(UInt8(ascii: ",")) }
                        out.append(contentsOf: keys[i])
                        JSONWriter.writeString(utf8: UnsafeBufferPointer(rebasing: bytes[table.table.range(row: tableRow, column: rc)]), into: &out)
                    case .computed(let values):
                        guard let v = values[row] else { continue }
                        if !first { out.append(UInt8(ascii: ",")) }
                        out.append(contentsOf: keys[i])
                        JSONWriter.write(v, into: &out)
                    }
                    first = false
                }
                out.append(UInt8(ascii: "}"))
                out.append(0x0A)
            }
        }
    }

    /// Closes the file; `creating` makes it (empty) when nothing was written.
    public func close(creating: Bool = false) throws {
        if handle == nil, creating { _ = try open() }
        try handle?.close()
        handle = nil
    }
}

/// `file` destination: writes every record to one NDJSON or CSV file.
struct FileDestination: Destination {
    let writer: RecordFileWriter

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        try await writer.write(records.map(\.value))
        return records.map { _ in .ok(result: nil) }
    }

    func write(table: TableBatch) async throws -> Bool { try await writer.write(table: table) }

    func close() async throws { try await writer.close() }

    var outputPath: String? { writer.path }

    static let spec = DestinationSpec(
        name: "file", summary: "Writes records to a file as NDJSON or CSV.",
        configSchema: ["type": "object", "additionalProperties": false, "required": ["path"],
                       "properties": ["path": ["type": "string", "minLength": 1, "title": "Path",
                                              "description": "The file to write, in the file area", "examples": ["out/results.ndjson"]],
                                      "format": ["type": "string", "enum": ["ndjson", "csv"], "default": "ndjson", "title": "Format"]]],
        build: { config, res in
            let field = "destination.config.path"
            let path = try res.resolve(config["path"]!.stringValue!, field: field, forWriting: true)
            let files = res.files
            return FileDestination(writer: RecordFileWriter(
                path: path, format: RecordFileWriter.Format(rawValue: config["format"]!.stringValue!)!, append: res.appendToOutputs,
                budget: res.outputBudget, areaBudget: res.areaBudget, label: res.files.isConfined ? field : nil,
                checkFolder: { folder in try files.check(match: folder, field: field) }))
        })
}

/// The file-family connectors, for the composition root to register.
public enum FileConnectors {
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(FileSource.spec("csv", summary: "Reads CSV files (a path or a glob): RFC 4180, header or not, UTF-8/Windows-1252/ISO-8859-1."))
        registry.register(FileSource.spec("ndjson", summary: "Reads newline-delimited JSON files (a path or a glob); a bad line is an error record."))
        registry.register(FileSource.spec("json", summary: "Reads JSON documents: an array of records, or the records at `records_path` (dot-separated)."))
        registry.register(FileSource.spec("xml", summary: "Reads XML files as a stream: the elements at `records_path` become records (attributes, children, repeated elements as arrays)."))
        registry.register(FileSource.spec("xlsx", summary: "Reads one sheet of Excel workbooks (.xlsx): header row, typed cells, dates as ISO 8601."))
        registry.register(PushSource.spec)
        registry.register(FileDestination.spec)
        registry.sinks = sinks
    }

    /// Results and error reports as local files (in the run's output directory or file area).
    public static let sinks = SinkFactory { request in
        RecordFileWriter(path: request.path, format: request.format, append: request.append, budget: request.budget)
    }
}
