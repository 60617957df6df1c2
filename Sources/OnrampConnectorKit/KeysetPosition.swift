import OnrampCore

/// Where a keyset read is: the ordering columns (cursor columns then key columns) and the last row's
/// values in them. Resuming reads rows whose tuple is greater, so many rows sharing one cursor value are
/// neither skipped nor read twice, and a row updated after it was read (its cursor moved on) is read again.
public struct KeysetPosition: Sendable, Equatable {
    public var columns: [String]
    public var values: [Value]

    public init(columns: [String], values: [Value]) {
        self.columns = columns
        self.values = values
    }

    /// The checkpoint form: `{"columns": [...], "after": [...]}`.
    public var checkpoint: Value {
        ["columns": .array(columns.map(Value.string)), "after": .array(values)]
    }

    /// The position a committed checkpoint holds for `columns`; nil for none. A checkpoint made with other
    /// columns is an error: the read order changed, so a full resync is needed.
    public init?(checkpoint: Value?, columns: [String], field: String) throws {
        guard let checkpoint, !checkpoint.isNull else { return nil }
        guard let stored = checkpoint["columns"]?.arrayValue?.compactMap(\.stringValue),
              let after = checkpoint["after"]?.arrayValue, after.count == stored.count else {
            throw OnrampError("checkpoint.invalid", "the stored incremental state is not a keyset position; run a full resync",
                              at: field)
        }
        guard stored == columns else {
            throw OnrampError("checkpoint.columns", "the incremental columns changed from \(stored.joined(separator: ", ")) to "
                              + "\(columns.joined(separator: ", ")); run a full resync", at: field)
        }
        self.columns = columns
        self.values = after
    }
}
