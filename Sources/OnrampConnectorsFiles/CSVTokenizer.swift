/// An RFC 4180 tokenizer fed chunk by chunk: yields rows of raw field bytes with the line each
/// row started on. Quotes may be doubled or escaped with a configurable escape byte.
struct CSVTokenizer {
    struct Row {
        var fields: [[UInt8]]
        var line: Int
        /// Set when the row is malformed (a stray quote, an unterminated quoted field).
        var problem: String?
    }

    let delimiter: UInt8
    let quote: UInt8
    let escape: UInt8?
    /// When false (the default), a line break inside quotes ends the row as malformed, so one stray
    /// quote cannot swallow the rest of the file.
    let multiline: Bool

    private var field: [UInt8] = []
    private var fields: [[UInt8]] = []
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
        fields.append(field)
        field.removeAll(keepingCapacity: true)
        afterQuote = false
        fieldStarted = false
    }

    private mutating func endRow(into rows: inout [Row]) {
        endField()
        if !(fields.count == 1 && fields[0].isEmpty && problem == nil) {
            rows.append(Row(fields: fields, line: rowLine, problem: problem))
        }
        fields.removeAll(keepingCapacity: true)
        problem = nil
        rowLine = line
    }

    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, into rows: inout [Row]) {
        for b in chunk {
            if pendingCR {
                pendingCR = false
                if b == 0x0A { continue }
            }
            if inQuotes {
                if escaped {
                    field.append(b)
                    escaped = false
                } else if let e = escape, e != quote, b == e {
                    escaped = true
                } else if b == quote {
                    inQuotes = false
                    afterQuote = true
                } else if !multiline && (b == 0x0A || b == 0x0D) {
                    problem = problem ?? "unterminated quoted field \(fields.count + 1)"
                    inQuotes = false
                    line += 1
                    if b == 0x0D { pendingCR = true }
                    endRow(into: &rows)
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                continue
            }
            if b == quote {
                if afterQuote {
                    field.append(quote)
                    inQuotes = true
                    afterQuote = false
                } else if !fieldStarted {
                    inQuotes = true
                    fieldStarted = true
                } else {
                    problem = problem ?? "stray quote inside an unquoted field \(fields.count + 1)"
                    field.append(b)
                }
            } else if b == delimiter {
                endField()
            } else if b == 0x0A || b == 0x0D {
                line += 1
                if b == 0x0D { pendingCR = true }
                endRow(into: &rows)
            } else {
                if afterQuote { problem = problem ?? "text after the closing quote of field \(fields.count + 1)" }
                field.append(b)
                fieldStarted = true
            }
        }
    }

    mutating func finish(into rows: inout [Row]) {
        if inQuotes {
            problem = "unterminated quoted field \(fields.count + 1)"
            inQuotes = false
        }
        if !field.isEmpty || !fields.isEmpty || problem != nil { endRow(into: &rows) }
    }
}
