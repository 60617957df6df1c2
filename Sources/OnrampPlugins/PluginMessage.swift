import OnrampCore

/// One stdout line of a plugin: a JSON object with a `type`, or why it is not one (an extract error naming
/// its stdout line). Numbers keep every digit (`JSONParser`'s exact numbers).
enum PluginMessage {
    enum Parsed {
        case message(Value)
        case bad(RecordError)
    }

    static func parse(_ line: LineSplitter.Line, typeKey: String = "type") -> Parsed {
        switch line {
        case .tooLong(let bytes, let number):
            return .bad(error(number, "plugin.line_too_long", "a message of \(bytes) bytes is longer than the plugin's "
                              + "limit (limits.max_line_bytes)"))
        case .text(let bytes, let number):
            let value: Value
            do { value = try JSONParser.parse(bytes, exactNumbers: true) } catch let failure {
                return .bad(error(number, "plugin.bad_message", "not JSON: \(failure)", raw: bytes))
            }
            guard case .object = value, value[typeKey]?.stringValue != nil else {
                return .bad(error(number, "plugin.bad_message", "a message must be a JSON object with a \"\(typeKey)\"",
                                  raw: bytes))
            }
            return .message(value)
        }
    }

    /// The most of a plugin's own text (a code, a message, a type) that Onramp repeats in errors and logs.
    static let maxText = 1024

    /// A string a plugin sent, cut to `maxText` characters: a plugin cannot make a run's failure reason any size.
    static func text(_ value: Value?) -> String? {
        guard let s = value?.stringValue else { return nil }
        return s.count <= maxText ? s : String(s.prefix(maxText)) + "… (cut at \(maxText) characters)"
    }

    static func error(_ line: Int, _ code: String, _ message: String, raw: [UInt8]? = nil) -> RecordError {
        let text = raw.map { String(decoding: $0.prefix(500), as: UTF8.self) }
        return RecordError(stage: .extract, position: SourcePosition(file: "plugin stdout", line: line), code: code,
                           message: message, value: text.map(Value.string))
    }
}
