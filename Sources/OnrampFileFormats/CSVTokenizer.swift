/// An RFC 4180 tokenizer fed chunk by chunk: yields rows of raw field bytes with the line each
/// row started on. Quotes may be doubled or escaped with a configurable escape byte.
struct CSVTokenizer {
    /// Rows tokenized so far, their fields' bytes back to back in one buffer.
    struct Rows {
        struct Row {
            var firstField: Int
            var fieldCount: Int
            var line: Int
            /// Set when the row is malformed (a stray quote, an unterminated quoted field).
            var problem: String?
        }
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var rows: [Row] = []

        var count: Int { rows.count }

        func fields(_ r: Int) -> [ArraySlice<UInt8>] {
            let row = rows[r]
            return (row.firstField..<(row.firstField + row.fieldCount)).map { bytes[start(ofField: $0)..<ends[$0]] }
        }

        /// Row `r`'s fields' bytes back to back, and each field's end offset in them.
        func packed(_ r: Int) -> (utf8: ArraySlice<UInt8>, fieldEnds: ArraySlice<Int>) {
            let row = rows[r]
            let last = row.firstField + row.fieldCount - 1
            return (bytes[start(ofField: row.firstField)..<ends[last]], ends[row.firstField...last])
        }

        private func start(ofField i: Int) -> Int { i == 0 ? 0 : ends[i - 1] }

        mutating func removeAll() {
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            rows.removeAll(keepingCapacity: true)
        }
    }

    let delimiter: UInt8
    let quote: UInt8
    let escape: UInt8?
    /// When false (the default), a line break inside quotes ends the row as malformed, so one stray
    /// quote cannot swallow the rest of the file.
    let multiline: Bool

    /// The row being read: its bytes, and the end of each finished field in them.
    private var row: [UInt8] = []
    private var rowEnds: [Int] = []
    private var inQuotes = false
    private var afterQuote = false
    private var fieldStarted = false
    private var line = 1
    private var rowLine = 1
    private var problem: String?
    private var pendingCR = false
    private var escaped = false

    init(delimiter: UInt8, quote: UInt8, escape: UInt8?, multiline: Bool = false) {
        self.delimiter = delimiter
        self.quote = quote
        self.escape = escape
        self.multiline = multiline
    }

    private mutating func endField() {
        rowEnds.append(row.count)
        afterQuote = false
        fieldStarted = false
    }

    private mutating func endRow(into rows: inout Rows) {
        endField()
        if !(rowEnds.count == 1 && row.isEmpty && problem == nil) {
            let base = rows.bytes.count
            rows.rows.append(Rows.Row(firstField: rows.ends.count, fieldCount: rowEnds.count, line: rowLine, problem: problem))
            rows.bytes.append(contentsOf: row)
            for e in rowEnds { rows.ends.append(base + e) }
        }
        row.removeAll(keepingCapacity: true)
        rowEnds.removeAll(keepingCapacity: true)
        problem = nil
        rowLine = line
    }

    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, into rows: inout Rows) {
        for b in chunk {
            if pendingCR {
                pendingCR = false
                if b == 0x0A { continue }
            }
            if inQuotes {
                if escaped {
                    row.append(b)
                    escaped = false
                } else if let e = escape, e != quote, b == e {
                    escaped = true
                } else if b == quote {
                    inQuotes = false
                    afterQuote = true
                } else if !multiline && (b == 0x0A || b == 0x0D) {
                    problem = problem ?? "unterminated quoted field \(rowEnds.count + 1)"
                    inQuotes = false
                    line += 1
                    if b == 0x0D { pendingCR = true }
                    endRow(into: &rows)
                } else {
                    if b == 0x0A { line += 1 }
                    row.append(b)
                }
                continue
            }
            if b == quote {
                if afterQuote {
                    row.append(quote)
                    inQuotes = true
                    afterQuote = false
                } else if !fieldStarted {
                    inQuotes = true
                    fieldStarted = true
                } else {
                    problem = problem ?? "stray quote inside an unquoted field \(rowEnds.count + 1)"
                    row.append(b)
                }
            } else if b == delimiter {
                endField()
            } else if b == 0x0A || b == 0x0D {
                line += 1
                if b == 0x0D { pendingCR = true }
                endRow(into: &rows)
            } else {
                if afterQuote { problem = problem ?? "text after the closing quote of field \(rowEnds.count + 1)" }
                row.append(b)
                fieldStarted = true
            }
        }
    }

    mutating func finish(into rows: inout Rows) {
        if inQuotes {
            problem = "unterminated quoted field \(rowEnds.count + 1)"
            inQuotes = false
        }
        if row.count > (rowEnds.last ?? 0) || !rowEnds.isEmpty || problem != nil { endRow(into: &rows) }
    }
}
