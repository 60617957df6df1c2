/// Rows of text fields under one header, read from one file and held as UTF-8 bytes: the lazy form
/// of a batch of records. No `String` or `Value` exists for a field until a step asks for it
/// (`TableBatch` builds the records: every field a string, in header order).
public struct RecordTable: Sendable {
    public let columns: [String]
    public let file: String
    public private(set) var bytes: [UInt8] = []
    /// End offset in `bytes` of every field, row after row (`columns.count` per row).
    private var ends: [Int] = []
    /// The source line of each row.
    public private(set) var lines: [Int] = []

    public init(columns: [String], file: String, reservingRows rows: Int = 0) {
        self.columns = columns
        self.file = file
        lines.reserveCapacity(rows)
        ends.reserveCapacity(rows * columns.count)
    }

    public var rowCount: Int { lines.count }

    /// Appends one row given as separate UTF-8 fields, `columns.count` of them.
    public mutating func append(line: Int, fields: [ArraySlice<UInt8>]) {
        for f in fields {
            bytes.append(contentsOf: f)
            ends.append(bytes.count)
        }
        lines.append(line)
    }

    /// Appends one row given as its fields' UTF-8 bytes back to back in `utf8`, with each field's
    /// end offset in `fieldEnds`, counted from `utf8`'s start index.
    public mutating func append(line: Int, utf8: ArraySlice<UInt8>, fieldEnds: ArraySlice<Int>) {
        let shift = bytes.count - utf8.startIndex
        bytes.append(contentsOf: utf8)
        for e in fieldEnds { ends.append(e + shift) }
        lines.append(line)
    }

    /// The byte range of a field.
    @inlinable
    public func range(row: Int, column: Int) -> Range<Int> {
        let i = row * columns.count + column
        return (i == 0 ? 0 : endOffset(i - 1))..<endOffset(i)
    }

    @usableFromInline
    func endOffset(_ i: Int) -> Int { ends[i] }

    /// Calls `body` with a field's UTF-8 bytes.
    @inlinable
    public func withField<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = range(row: row, column: column)
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    public func string(row: Int, column: Int) -> String {
        withField(row: row, column: column) { String(decoding: $0, as: UTF8.self) }
    }

    public func position(row: Int) -> SourcePosition { SourcePosition(file: file, line: lines[row]) }
}
