import Logging
import OnrampCore
import Synchronization

/// A plugin's stderr: each line copied into the run log (secrets redacted, at most `logLimit` bytes in all)
/// and the last `keep` lines kept for the error a failed plugin ends with.
final class StderrLog: Sendable {
    private struct State {
        var splitter = LineSplitter(maxBytes: 4096)
        var tail: [String] = []
        var logged = 0
        var dropped = 0
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let plugin: String
    private let redactor: Redactor
    let keep: Int
    let logLimit: Int

    init(plugin: String, logger: Logger, redactor: Redactor, keep: Int = 10, logLimit: Int = 1 << 20) {
        self.plugin = plugin
        self.logger = logger
        self.redactor = redactor
        self.keep = keep
        self.logLimit = logLimit
    }

    func append(_ chunk: [UInt8]) {
        let lines = state.withLock { $0.splitter.feed(chunk) }
        lines.forEach(take)
    }

    func finish() {
        if let last = state.withLock({ $0.splitter.finish() }) { take(last) }
        let dropped = state.withLock { $0.dropped }
        if dropped > 0 { logger.warning("plugin \(plugin): \(dropped) more stderr lines not logged (log limit)") }
    }

    private func take(_ line: LineSplitter.Line) {
        let text: String
        switch line {
        case .text(let bytes, _): text = Self.printable(redactor.string(String(decoding: bytes, as: UTF8.self)))
        case .tooLong(let n, _): text = "(a stderr line of \(n) bytes)"
        }
        guard !text.allSatisfy(\.isWhitespace) else { return }
        let log = state.withLock { s -> Bool in
            s.tail.append(text)
            if s.tail.count > keep { s.tail.removeFirst() }
            guard s.logged + text.utf8.count <= logLimit else { s.dropped += 1; return false }
            s.logged += text.utf8.count
            return true
        }
        if log { logger.info("plugin \(plugin): \(text)") }
    }

    /// Control characters (a terminal escape, a NUL) as `\u{1B}`, so a plugin cannot write into an operator's terminal.
    static func printable(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { out += "\\u{\(String(c.value, radix: 16, uppercase: true))}" } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The last lines, oldest first.
    var tail: [String] { state.withLock { $0.tail } }
}
