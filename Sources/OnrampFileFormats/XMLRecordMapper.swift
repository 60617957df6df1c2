import OnrampCore

/// Turns tokenizer events into records: each element at the records path becomes an object. Attributes are
/// `@name` fields, child elements are fields (repeated ones, or those in `arrays`, arrays in document order),
/// a text-only child is its text as written, an empty one null, and text beside child elements or attributes
/// is `#text` (trimmed; whitespace-only text is dropped). Names keep their prefixes as written; `xmlns`
/// declarations are not fields.
struct XMLRecordMapper {
    enum Output {
        case record(Value, line: Int)
        case error(code: String, message: String, line: Int)
    }

    /// An element being built: its fields in first-appearance order, each with every value seen for it.
    private struct Frame {
        var path: String
        var keys: [String] = []
        var values: [[Value]] = []
        var isArray: [Bool] = []
        /// Built once an element has many fields; few fields are found by a linear search.
        var index: [String: Int]?
        var text = ""

        init(path: String) { self.path = path }

        mutating func add(_ key: String, _ value: Value, array: Bool) {
            let found = index.map { $0[key] } ?? keys.firstIndex(of: key)
            if let i = found {
                values[i].append(value)
                isArray[i] = true
                return
            }
            keys.append(key)
            values.append([value])
            isArray.append(array)
            if index != nil {
                index![key] = keys.count - 1
            } else if keys.count > 32 {
                index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
            }
        }

        func value(isRecord: Bool) -> Value {
            if keys.isEmpty && !isRecord { return text.isEmpty ? .null : .string(text) }
            var object = Value.Object(minimumCapacity: keys.count + 1)
            for i in keys.indices { object[keys[i]] = isArray[i] ? .array(values[i]) : values[i][0] }
            let trimmed = text.trimmingXMLWhitespace()
            if !trimmed.isEmpty { object["#text"] = .string(trimmed) }
            return .object(object)
        }
    }

    let options: XMLOptions
    private var frames: [Frame] = []
    private var recordLine = 0
    private var recordOffset: Int64 = 0
    /// After a record-level error: the record's remaining events are dropped until its end tag.
    private var skipping = false

    init(options: XMLOptions) { self.options = options }

    /// Handles one event; `open` is the tokenizer's open elements after it, `line` and `offset` where it began.
    mutating func handle(_ event: XMLTokenizer.Event, open: [String], line: Int, offset: Int64) -> Output? {
        let depth = options.recordsPath.count
        if skipping {
            if case .end = event, open.count < depth { skipping = false }
            return nil
        }
        if !frames.isEmpty, offset - recordOffset > Int64(options.maxRecordBytes) {
            frames = []
            skipping = open.count >= depth
            return .error(code: "xml.record_too_large", message: "the record is larger than \(options.maxRecordBytes) bytes",
                          line: recordLine)
        }
        switch event {
        case .start(let name, let attributes):
            if frames.isEmpty {
                guard open.count == depth, isRecordPath(open) else { return nil }
                recordLine = line
                recordOffset = offset
                frames.append(Frame(path: ""))
            } else {
                // Paths are only needed to match `arrays`.
                let parent = frames[frames.count - 1].path
                frames.append(Frame(path: options.arrays.isEmpty ? "" : parent.isEmpty ? name : parent + "/" + name))
            }
            for a in attributes where a.name != "xmlns" && !a.name.hasPrefix("xmlns:") {
                frames[frames.count - 1].add("@" + a.name, .string(a.value), array: false)
            }
        case .text(let text):
            if !frames.isEmpty { frames[frames.count - 1].text += text }
        case .end(let name):
            guard let frame = frames.popLast() else { return nil }
            if frames.isEmpty { return .record(frame.value(isRecord: true), line: recordLine) }
            let forced = !options.arrays.isEmpty && options.arrays.contains(frame.path)
            frames[frames.count - 1].add(name, frame.value(isRecord: false), array: forced)
        }
        return nil
    }

    /// A recoverable tokenizer failure: inside a record, the record becomes this error and its rest is skipped.
    mutating func fail(_ failure: XMLTokenizer.Failure, open: [String]) -> Output {
        let depth = options.recordsPath.count
        let inRecord = !frames.isEmpty || open.count >= depth && isRecordPath(Array(open.prefix(depth)))
        frames = []
        skipping = inRecord
        let what = inRecord ? "; the record is skipped" : ""
        return .error(code: failure.code, message: failure.description + what, line: failure.line)
    }

    /// Whether the open elements (exactly as deep as the path) are the records path.
    private func isRecordPath(_ open: [String]) -> Bool {
        for (step, name) in zip(options.recordsPath, open) where step != "*" && step != name { return false }
        return true
    }
}

extension String {
    /// The text without leading and trailing XML whitespace (space, tab, CR, LF).
    func trimmingXMLWhitespace() -> String {
        let ws: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !ws($0) }), let last = lastIndex(where: { !ws($0) }) else { return "" }
        return String(self[first...last])
    }
}
