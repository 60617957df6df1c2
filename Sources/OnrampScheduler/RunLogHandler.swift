import Foundation
import Logging
import OnrampCore

/// Appends a run's log lines to its `run.log`, which customers download from the API.
struct RunLogHandler: LogHandler {
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private let handle: FileHandle?
        let redactor: Redactor
        init(path: String, redactor: Redactor = .none) {
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            handle = FileHandle(forWritingAtPath: path)
            handle?.seekToEndOfFile()
            self.redactor = redactor
        }
        func write(_ line: String) {
            let text = redactor.string(line)
            lock.lock()
            defer { lock.unlock() }
            handle?.write(Data(text.utf8))
        }
        func close() {
            lock.lock()
            defer { lock.unlock() }
            try? handle?.close()
        }
    }

    /// Appends one line to a log file (a worker noting what happened to an attempt).
    static func append(_ line: String, to path: String) {
        let sink = Sink(path: path)
        sink.write("\(Date().formatted(.iso8601)) \(line)\n")
        sink.close()
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
