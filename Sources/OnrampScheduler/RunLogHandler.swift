import Foundation
import Logging

/// Appends a run's log lines to its `run.log`, which customers download from the API.
struct RunLogHandler: LogHandler {
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private let handle: FileHandle?
        init(path: String) {
            FileManager.default.createFile(atPath: path, contents: nil)
            handle = FileHandle(forWritingAtPath: path)
        }
        func write(_ line: String) {
            lock.lock()
            defer { lock.unlock() }
            handle?.write(Data(line.utf8))
        }
        func close() {
            lock.lock()
            defer { lock.unlock() }
            try? handle?.close()
        }
    }

    let sink: Sink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = metadata.merging(extra ?? [:]) { _, b in b }.filter { !["run_id", "tenant_id"].contains($0.key) }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.write("\(Date().formatted(.iso8601)) \(level) \(message)\(fields.isEmpty ? "" : " " + fields)\n")
    }
}
