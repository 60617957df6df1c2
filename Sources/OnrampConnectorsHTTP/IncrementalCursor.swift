import OnrampCore

/// The incremental state of `http_api`: the largest cursor value read and the keys read at exactly that
/// value. A record at that value whose key was read is skipped; ties at a new value are all kept, so
/// records sharing one cursor value are neither skipped nor repeated across runs.
/// Checkpoint: `{"cursor": <value>, "keys": ["<key>", ...]}`. Records must come in ascending cursor order:
/// one below a checkpoint already handed out in this run fails the read (after a crash it would be lost).
struct IncrementalCursor: Sendable {
    /// The most keys the checkpoint keeps at one cursor value.
    static let maxKeys = 10_000

    let cursorField: [String]
    let keyField: [String]
    private(set) var cursor: Value?
    private(set) var keys: Set<String> = []
    /// The cursor of the last checkpoint handed out in this run.
    private(set) var floor: Value?

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

    /// The checkpoint for a batch; records read after it may not go below its cursor.
    mutating func takeCheckpoint() -> Value? {
        floor = cursor
        return checkpoint
    }

    var fieldName: String { cursorField.joined(separator: ".") }

    /// Keeps or skips `record` (from `url`), advancing the state; a record without the cursor or key is an
    /// error message. Throws when the record is below a checkpoint handed out (`http_api.order`) or would
    /// make more than `maxKeys` keys share the cursor value (`http_api.cursor_ties`).
    mutating func admit(_ record: Value, from url: String) throws -> Result<Verdict, OnrampError> {
        guard let value = Self.lookup(record, cursorField), !value.isNull, value.scalarText != nil else {
            return .failure(OnrampError("http_api.cursor_missing", "the record has no cursor field "
                                        + "'\(cursorField.joined(separator: "."))'"))
        }
        guard let key = Self.lookup(record, keyField)?.scalarText, !key.isEmpty else {
            return .failure(OnrampError("http_api.key_missing", "the record has no key field "
                                        + "'\(keyField.joined(separator: "."))'"))
        }
        if let floor, Self.compare(value, floor) == .orderedAscending {
            throw OnrampError("http_api.order", "\(url) returned a record with \(fieldName) \(value.scalarText ?? "") "
                              + "after this run checkpointed \(floor.scalarText ?? ""): incremental reads need the "
                              + "records in ascending \(fieldName) order (a stopped run would lose the records below "
                              + "its checkpoint); sort the API ascending by \(fieldName)",
                              at: "source.incremental.cursor_field")
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
            if keys.contains(key) { return .success(.skip) }
            guard keys.count < Self.maxKeys else {
                throw OnrampError("http_api.cursor_ties", "more than \(Self.maxKeys) records from \(url) and the "
                                  + "pages before share \(fieldName) \(value.scalarText ?? ""), and the checkpoint "
                                  + "keeps the key of each: use a finer cursor field (a timestamp with more precision, "
                                  + "or a change sequence number)", at: "source.incremental.cursor_field")
            }
            keys.insert(key)
            return .success(.keep)
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
