import Foundation
import OnrampConnectorKit
import OnrampCore

/// Appends records to a file as NDJSON or CSV (header from the first record's fields).
public actor RecordFileWriter {
    public enum Format: String, Sendable { case ndjson, csv }
    let handle: FileHandle
    let format: Format
    var columns: [String]?
    public let path: String

    public init(path: String, format: Format) throws {
        self.path = path
        self.format = format
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw OnrampError("file.create", "cannot create file", at: path)
        }
        handle = h
    }

    public func write(_ values: [Value]) throws {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 128)
        for v in values {
            switch format {
            case .ndjson:
                JSONWriter.write(v, into: &out)
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
        try handle.write(contentsOf: out)
    }

    /// Writes a lazy table without building its records: NDJSON straight from its bytes, CSV cell by
    /// cell. False (nothing written) for CSV when two columns share a name (the record path merges them).
    public func write(table: TableBatch) throws -> Bool {
        var out: [UInt8] = []
        switch format {
        case .ndjson: writeNDJSON(table, into: &out)
        case .csv: guard writeCSV(table, into: &out) else { return false }
        }
        try handle.write(contentsOf: out)
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

    public func close() throws { try handle.close() }
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
                       "properties": ["path": ["type": "string", "minLength": 1],
                                      "format": ["type": "string", "enum": ["ndjson", "csv"], "default": "ndjson"]]],
        build: { config, res in
            FileDestination(writer: try RecordFileWriter(path: res.resolve(config["path"]!.stringValue!),
                                                         format: RecordFileWriter.Format(rawValue: config["format"]!.stringValue!)!))
        })
}

/// The file-family connectors, for the composition root to register.
public enum FileConnectors {
    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(CSVSource.spec)
        registry.register(JSONSource.ndjsonSpec)
        registry.register(JSONSource.jsonSpec)
        registry.register(FileDestination.spec)
    }
}
