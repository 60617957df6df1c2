import OnrampCore

/// The incremental state of `http_api`: the largest cursor value read and the keys read at exactly that
/// value. A record at that value whose key was read is skipped; ties at a new value are all kept, so
/// records sharing one cursor value are neither skipped nor repeated across runs.
/// Checkpoint: `{"cursor": <value>, "keys": ["<key>", ...]}`.
struct IncrementalCursor: Sendable {
    let cursorField: [String]
    let keyField: [String]
    private(set) var cursor: Value?
    private(set) var keys: Set<String> = []

    enum Verdict: Equatable { case keep, skip }

    init(cursorField: String, keyField: String, checkpoint: Value?, start: String?) {
        self.cursorField = cursorField.split(separator: ".").map(String.init)
        self.keyField = keyField.split(separator: ".").map(String.init)
        if let c = checkpoint?["cursor"], !c.isNull {
            cursor = c
            keys = Set(checkpoint?["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        } else if let start {
            cursor = .string(start)
        }
    }

    /// The value to send in the query parameter (nil: the first full read).
    var parameter: String? { cursor?.scalarText }

    var checkpoint: Value? {
        guard let cursor else { return nil }
        return ["cursor": cursor, "keys": .array(keys.sorted().map(Value.string))]
    }

    /// Keeps or skips `record`, advancing the state; a record without the cursor or key is an error message.
    mutating func admit(_ record: Value) -> Result<Verdict, OnrampError> {
        guard let value = Self.lookup(record, cursorField), !value.isNull, value.scalarText != nil else {
            return .failure(OnrampError("http_api.cursor_missing", "the record has no cursor field "
                                        + "'\(cursorField.joined(separator: "."))'"))
        }
        guard let key = Self.lookup(record, keyField)?.scalarText, !key.isEmpty else {
            return .failure(OnrampError("http_api.key_missing", "the record has no key field "
                                        + "'\(keyField.joined(separator: "."))'"))
        }
        guard let current = cursor else {
            cursor = value
            keys = [key]
            return .success(.keep)
        }
        switch Self.compare(value, current) {
        case .orderedAscending:
            return .success(.keep)
        case .orderedSame:
            return .success(keys.insert(key).inserted ? .keep : .skip)
        case .orderedDescending:
            cursor = value
            keys = [key]
            return .success(.keep)
        }
    }

    static func lookup(_ v: Value, _ path: [String]) -> Value? {
        var v = v
        for p in path {
            guard let next = v[p] else { return nil }
            v = next
        }
        return v
    }

    /// Numbers (and a number against numeric text) compare numerically, everything else by its text
    /// (ISO 8601 times in one format sort as text).
    static func compare(_ a: Value, _ b: Value) -> CursorOrder {
        func number(_ v: Value) -> Double? { v.numberValue ?? v.stringValue.flatMap(Double.init) }
        if a.numberValue != nil || b.numberValue != nil, let x = number(a), let y = number(b) {
            return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        }
        let x = a.scalarText ?? "", y = b.scalarText ?? ""
        return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
    }
}

enum CursorOrder { case orderedAscending, orderedSame, orderedDescending }
