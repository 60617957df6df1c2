import Foundation
import OnrampConnectorKit
import OnrampCore

/// `ndjson` (one JSON value per line) and `json` (an array, or records at a path inside a document).
struct JSONSource: Source {
    enum Format: Sendable { case ndjson, document(path: [String]) }
    let location: FileSet.Location
    let format: Format
    let incremental: Bool

    func open(checkpoint: Value?, batchSize: Int) async throws -> any BatchReader {
        var files = try FileSet.list(location, allowNone: incremental)
        if incremental { files = FileSet.pending(files, checkpoint: checkpoint) }
        return Reader(source: self, files: files, checkpoint: incremental ? checkpoint : nil, batchSize: batchSize)
    }

    struct Reader: BatchReader {
        let source: JSONSource
        var files: [FileSet.Entry]
        var checkpoint: Value?
        let batchSize: Int
        var pending: [Record] = []
        var pendingErrors: [RecordError] = []

        mutating func next() async throws -> SourceBatch? {
            while pending.isEmpty && pendingErrors.isEmpty {
                guard !files.isEmpty else { return nil }
                let entry = files.removeFirst()
                load(entry)
                if source.incremental { checkpoint = FileSet.checkpoint(checkpoint, adding: entry) }
                if pending.isEmpty && pendingErrors.isEmpty, source.incremental {
                    return SourceBatch(checkpoint: checkpoint)
                }
            }
            let n = min(batchSize, pending.count)
            var batch = SourceBatch(records: Array(pending.prefix(n)), errors: pendingErrors)
            pending.removeFirst(n)
            pendingErrors = []
            if pending.isEmpty { batch.checkpoint = checkpoint }
            return batch
        }

        private mutating func load(_ entry: FileSet.Entry) {
            guard let data = FileManager.default.contents(atPath: entry.path) else {
                pendingErrors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name), code: "source.unreadable", message: "cannot read file"))
                return
            }
            var bytes = [UInt8](data)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            switch source.format {
            case .ndjson:
                var line = 0
                for slice in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                    line += 1
                    var s = Array(slice)
                    if s.last == 0x0D { s.removeLast() }
                    if s.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    let pos = SourcePosition(file: entry.name, line: line)
                    do {
                        pending.append(Record(try JSONParser.parse(s), position: pos))
                    } catch {
                        pendingErrors.append(RecordError(stage: .extract, position: pos, code: "json.syntax", message: "\(error)",
                                                         value: .string(String(decoding: s.prefix(500), as: UTF8.self))))
                    }
                }
            case .document(let path):
                do {
                    var v = try JSONParser.parse(bytes)
                    for (i, key) in path.enumerated() {
                        guard let next = v[key] else {
                            pendingErrors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name), code: "json.path",
                                                             message: "no field '\(path[...i].joined(separator: "."))' in the document"))
                            return
                        }
                        v = next
                    }
                    let items = v.arrayValue ?? [v]
                    for (i, item) in items.enumerated() {
                        pending.append(Record(item, position: SourcePosition(file: entry.name, key: "[\(i)]")))
                    }
                } catch {
                    pendingErrors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name, line: error.line),
                                                     code: "json.syntax", message: "\(error)"))
                }
            }
        }
    }
}

extension JSONSource {
    static let incrementalSchema: Value = [
        "type": "object", "additionalProperties": false, "required": ["mode"],
        "properties": ["mode": ["type": "string", "enum": ["new_files"]]],
    ]

    static let ndjsonSpec = SourceSpec(
        name: "ndjson", summary: "Reads newline-delimited JSON files (a path or a glob); a bad line is an error record.",
        configSchema: ["type": "object", "additionalProperties": false, "required": ["path"],
                       "properties": ["path": ["type": "string", "minLength": 1]]],
        incrementalSchema: incrementalSchema,
        build: { config, inc, res in JSONSource(location: try FileSet.Location(config["path"]!.stringValue!, in: res), format: .ndjson, incremental: inc != nil) })

    static let jsonSpec = SourceSpec(
        name: "json", summary: "Reads JSON documents: an array of records, or the records at `records_path` (dot-separated).",
        configSchema: ["type": "object", "additionalProperties": false, "required": ["path"],
                       "properties": ["path": ["type": "string", "minLength": 1],
                                      "records_path": ["type": "string", "description": "e.g. data.orders"]]],
        incrementalSchema: incrementalSchema,
        build: { config, inc, res in
            let p = config["records_path"]?.stringValue.map { $0.split(separator: ".").map(String.init) } ?? []
            return JSONSource(location: try FileSet.Location(config["path"]!.stringValue!, in: res), format: .document(path: p), incremental: inc != nil)
        })
}
