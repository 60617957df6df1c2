import Logging
import OnrampCore

/// Passes log lines on with the tenant's secret values replaced by `***` (message and metadata), so a
/// run's lines in the process log show no more than its own `run.log`.
public struct RedactingLogHandler: LogHandler {
    public var inner: any LogHandler
    public let redactor: Redactor

    public init(inner: any LogHandler, redactor: Redactor) {
        self.inner = inner
        self.redactor = redactor
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        let clean = metadata?.mapValues { Logger.MetadataValue.string(redactor.string("\($0)")) }
        inner.log(level: level, message: "\(redactor.string(message.description))", metadata: clean, source: source, file: file,
                  function: function, line: line)
    }
}
