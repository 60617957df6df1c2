import Foundation
import OnrampConnectorKit
import OnrampCore

/// Reads `ndjson` (one JSON value per line; a bad line is an error record) and `json` documents (an array,
/// or the records at a path inside each document).
struct JSONReader: BatchReader {
    enum Format: Sendable { case ndjson, document(path: [String]) }
    let format: Format
    let input: InputOptions
    var files: [FileInput]
    var progress: FileProgress
    let batchSize: Int
    var pending: [Record] = []
    var pendingErrors: [RecordError] = []

    mutating func next() async throws -> SourceBatch? {
        try Task.checkCancellation()
        while pending.isEmpty && pendingErrors.isEmpty {
            guard !files.isEmpty else { return nil }
            let entry = files.removeFirst()
            load(entry)
            let checkpoint = progress.finished(entry)
            if pending.isEmpty && pendingErrors.isEmpty, let checkpoint { return SourceBatch(checkpoint: checkpoint) }
        }
        let n = min(batchSize, pending.count)
        var batch = SourceBatch(records: Array(pending.prefix(n)), errors: pendingErrors)
        pending.removeFirst(n)
        pendingErrors = []
        if pending.isEmpty { batch.checkpoint = progress.checkpoint }
        return batch
    }

    private mutating func load(_ entry: FileInput) {
        var bytes: [UInt8]
        do throws(FileReadError) {
            var file = try FileBytes(path: entry.path, compression: input.compression, limit: input.maxUncompressedBytes,
                                  counter: input.counter)
            defer { file.close() }
            bytes = try file.readAll()
        } catch {
            pendingErrors.append(RecordError(stage: .extract, position: SourcePosition(file: entry.name),
                                             code: error.code, message: error.message))
            return
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        switch format {
        case .ndjson:
            var line = 0
            for slice in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                line += 1
                var s = Array(slice)
                if s.last == 0x0D { s.removeLast() }
                if s.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let pos = SourcePosition(file: entry.name, line: line)
                do {
                    pending.append(Record(try JSONParser.parse(s, exactNumbers: true), position: pos))
                } catch {
                    pendingErrors.append(RecordError(stage: .extract, position: pos, code: "json.syntax", message: "\(error)",
                                                     value: .string(String(decoding: s.prefix(500), as: UTF8.self))))
                }
            }
        case .document(let path):
            do {
                var v = try JSONParser.parse(bytes, exactNumbers: true)
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
