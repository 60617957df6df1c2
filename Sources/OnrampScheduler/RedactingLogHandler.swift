import Logging
import OnrampCore

/// Passes log lines on with the tenant's secret values replaced by `***` (message and metadata), so a
/// run's lines in the process log show no more than its own `run.log`.
struct RedactingLogHandler: LogHandler {
    var inner: any LogHandler
    let redactor: Redactor

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        let clean = metadata?.mapValues { Logger.MetadataValue.string(redactor.string("\($0)")) }
        inner.log(level: level, message: "\(redactor.string(message.description))", metadata: clean, source: source, file: file,
                  function: function, line: line)
    }
}
