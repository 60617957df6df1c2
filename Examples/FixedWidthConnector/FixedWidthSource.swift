import Foundation
import OnrampConnectorKit
import OnrampCore

/// `fixed_width`: a text export whose fields sit at fixed columns (many older ERPs write these), one
/// record per line. Incremental `appended_lines` resumes after the last line read, for an export that
/// only grows. The example of docs/connector-sdk.md: it uses nothing but OnrampConnectorKit's public API.
public struct FixedWidthSource: Source {
    /// The typed config, decoded from the validated config (snake_case keys become camelCase).
    public struct Config: Decodable, Sendable {
        public struct Column: Decodable, Sendable {
            var name: String
            /// 1-based, as the export's documentation counts.
            var start: Int
            var length: Int
        }
        var path: String
        var columns: [Column]
        var skipLines: Int
        var trim: Bool
    }

    let config: Config
    let file: String
    let incremental: Bool

    public func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw OnrampError("source.not_found", "cannot open '\(config.path)'", at: "source.config.path")
        }
        let after = incremental ? Int(checkpoint?["line"]?.numberValue ?? 0) : 0
        return Reader(config: config, name: config.path, handle: handle, skipThrough: max(after, config.skipLines),
                      incremental: incremental, batchSize: batchSize)
    }

    public func check() async throws -> ConnectorCheck {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw OnrampError("source.not_found", "cannot open '\(config.path)'", at: "source.config.path")
        }
        return ConnectorCheck(message: "'\(config.path)' can be read; \(config.columns.count) columns")
    }

    public func discover() async throws -> [DiscoveredStream] {
        [DiscoveredStream(name: config.path, kind: .file, fields: config.columns.map { .init(name: $0.name, type: "string") })]
    }

    struct Reader: BatchReader, @unchecked Sendable {
        let config: Config
        let name: String
        var handle: FileHandle?
        let skipThrough: Int
        let incremental: Bool
        let batchSize: Int
        var line = 0
        var buffer: [UInt8] = []
        var atEnd = false

        mutating func next() async throws -> SourceBatch? {
            try Task.checkCancellation()
            var batch = SourceBatch()
            while batch.records.count + batch.errors.count < batchSize, let text = nextLine() {
                line += 1
                if line <= skipThrough || text.isEmpty { continue }
                batch.records.append(contentsOf: parse(text, errors: &batch.errors))
            }
            guard !batch.records.isEmpty || !batch.errors.isEmpty else { return nil }
            // A partial last line (the export is still being written) is not read: `nextLine` left it in the buffer.
            if incremental { batch.checkpoint = ["line": .number(Double(line))] }
            return batch
        }

        func parse(_ text: String, errors: inout [RecordError]) -> [Record] {
            let characters = Array(text)
            let position = SourcePosition(file: name, line: line)
            var object = Value.Object()
            for column in config.columns {
                let start = column.start - 1
                // Exports often strip the padding of the last field: a line may end inside a column, not before it.
                guard start <= characters.count else {
                    errors.append(RecordError(stage: .extract, position: position, code: "fixed_width.short_line",
                                              message: "column \(column.name) starts at \(column.start), the line has "
                                                  + "\(characters.count) characters", value: .string(text)))
                    return []
                }
                let cell = String(characters[start..<min(start + column.length, characters.count)])
                object[column.name] = .string(config.trim ? cell.trimmingCharacters(in: .whitespaces) : cell)
            }
            return [Record(.object(object), position: position)]
        }

        /// The next complete line (LF or CRLF), or nil at the end of the file.
        mutating func nextLine() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: 0x0A) {
                    var bytes = Array(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    if bytes.last == 0x0D { bytes.removeLast() }
                    return String(decoding: bytes, as: UTF8.self)
                }
                guard !atEnd, let handle else { return nil }
                let chunk = handle.readData(ofLength: 64 << 10)
                if chunk.isEmpty { atEnd = true } else { buffer += chunk }
            }
        }

        mutating func close() async {
            try? handle?.close()
            handle = nil
        }
    }
}

extension FixedWidthSource {
    public static let spec = SourceSpec(
        name: "fixed_width",
        summary: "Reads a fixed-width text export: fields at fixed columns, one record per line.",
        configSchema: [
            "type": "object", "additionalProperties": false, "required": ["path", "columns"],
            "properties": [
                "path": ["type": "string", "minLength": 1, "title": "File", "description": "The export, in the file area",
                         "examples": ["exports/orders.txt"]],
                "columns": ["type": "array", "title": "Columns", "description": "Each field's name, first column (1-based) and width",
                            "items": ["type": "object", "additionalProperties": false, "required": ["name", "start", "length"],
                                      "properties": ["name": ["type": "string", "minLength": 1],
                                                     "start": ["type": "integer", "minimum": 1],
                                                     "length": ["type": "integer", "minimum": 1]]],
                            "examples": [[["name": "order_no", "start": 1, "length": 8]]]],
                "skip_lines": ["type": "integer", "minimum": 0, "default": 0, "title": "Lines to skip", "description": "Header lines"],
                "trim": ["type": "boolean", "default": true, "title": "Trim spaces", "description": "Trim the padding around each field"],
            ],
        ],
        incrementalSchema: [
            "type": "object", "additionalProperties": false, "required": ["mode"],
            "properties": ["mode": ["type": "string", "enum": ["appended_lines"], "title": "Mode",
                                    "description": "Resume after the last line read (an export that only grows)"]],
        ],
        config: Config.self
    ) { config, incremental, resources in
        FixedWidthSource(config: config, file: try resources.resolve(config.path, field: "source.config.path"),
                         incremental: incremental != nil)
    }
}
