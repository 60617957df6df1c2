import OnrampCore

/// Turns one sheet's XML events into rows: each `<row>` becomes a record keyed by the header row's names (a
/// column without a header cell is named by its letter), cells typed by their `t` attribute and number format.
/// A row with a cell that cannot be read (an error value such as #N/A, a bad number) is an error record naming
/// the cells, its value the row with those cells null; with `nullCellErrors`, error values are just null.
struct XLSXSheet {
    enum Output {
        case record(Value, row: Int)
        case error(code: String, message: String, row: Int, value: Value?)
    }

    let workbook: XLSXWorkbook
    let headerRow: Int
    var nullCellErrors = false
    /// Finds the merged ranges of the sheet (read on demand: they follow the cells in the sheet's XML).
    let merges: @Sendable () throws(FileReadError) -> [XLSXRange]
    private(set) var header: [String]?
    private var aboveHeader: [Int: [Int: String]] = [:]
    private var dimensionColumns: Int?
    private var row = 0
    private var cells: [(column: Int, value: Value)] = []
    private var problems: [(code: String, message: String)] = []
    private var column = -1
    private var type = ""
    private var style = 0
    private var text = ""
    private var hasValue = false
    private var inValue = false
    private var inInline = false
    private var phonetic = 0

    init(workbook: XLSXWorkbook, headerRow: Int, merges: @escaping @Sendable () throws(FileReadError) -> [XLSXRange]) {
        self.workbook = workbook
        self.headerRow = headerRow
        self.merges = merges
    }

    /// Handles one event (`open`: the open elements); a finished row's record and its cell errors.
    mutating func handle(_ event: XMLTokenizer.Event, open: [String]) throws(FileReadError) -> [Output] {
        switch event {
        case .start(let name, let attributes):
            switch localName(name) {
            case "row":
                row = attributes.first { $0.name == "r" }.flatMap { Int($0.value) } ?? row + 1
                cells = []
                column = -1
            case "c":
                let ref = attributes.first { $0.name == "r" }?.value
                column = ref.flatMap { XLSXRange.cell($0)?.column } ?? column + 1
                type = attributes.first { $0.name == "t" }?.value ?? "n"
                style = attributes.first { $0.name == "s" }.flatMap { Int($0.value) } ?? 0
                text = ""
                hasValue = false
            case "v": inValue = true
            case "is": inInline = true
            case "rPh": phonetic += 1
            case "dimension":
                dimensionColumns = attributes.first { $0.name == "ref" }.flatMap { XLSXRange($0.value) }.map { $0.lastColumn + 1 }
            default: break
            }
        case .text(let s):
            if inValue || inInline && phonetic == 0 && open.last.map({ localName($0) == "t" }) == true { text += s }
        case .end(let name):
            switch localName(name) {
            case "v": inValue = false; hasValue = true
            case "is": inInline = false; hasValue = true
            case "rPh": phonetic -= 1
            case "c": cells.append((column, cellValue()))
            case "row": return try finishRow()
            default: break
            }
        }
        return []
    }

    /// The current cell's value; a cell that cannot be read is null, with an error noted for its row.
    private mutating func cellValue() -> Value {
        guard hasValue else { return .null }
        let ref = XLSXRange.name(column: column) + String(row)
        func problem(_ code: String, _ message: String) -> Value {
            if !(nullCellErrors && code == "xlsx.cell_error") { problems.append((code, "cell \(ref): \(message)")) }
            return .null
        }
        switch type {
        case "s":
            guard let i = Int(text), workbook.sharedStrings.indices.contains(i) else {
                return problem("xlsx.shared_string", "shared string '\(text)' does not exist")
            }
            return .string(workbook.sharedStrings[i])
        case "inlineStr", "str", "d": return .string(text)
        case "b":
            switch text {
            case "1", "true": return .bool(true)
            case "0", "false": return .bool(false)
            default: return problem("xlsx.boolean", "'\(text)' is not a boolean")
            }
        case "e": return problem("xlsx.cell_error", "the cell holds the error \(text)")
        default:
            guard let number = Double(text) else { return problem("xlsx.number", "'\(text)' is not a number") }
            let format = workbook.styles.indices.contains(style) ? workbook.styles[style] : .number
            guard format != .number else { return .number(number) }
            guard let iso = format.iso8601(number, date1904: workbook.date1904) else {
                return problem("xlsx.date", "\(text) is not a date in the \(workbook.date1904 ? "1904" : "1900") date system")
            }
            return .string(iso)
        }
    }

    private mutating func finishRow() throws(FileReadError) -> [Output] {
        let problems = self.problems
        self.problems = []
        defer { cells = [] }
        if row < headerRow {
            if headerRow > 1 { aboveHeader[row] = texts() }
            return []
        }
        if header == nil {
            if row == headerRow {
                header = try names(texts())
                return problems.map { .error(code: $0.code, message: "header " + $0.message, row: row, value: nil) }
            }
            header = try names([:])
        }
        guard !problems.isEmpty || cells.contains(where: { !$0.value.isNull }) else { return [] }
        var object = Value.Object()
        let header = self.header ?? []
        for name in header { object[name] = .null }
        for (c, v) in cells {
            object[c < header.count ? header[c] : XLSXRange.name(column: c)] = v
        }
        if let first = problems.first {
            let message = problems.map(\.message).joined(separator: "; ")
            return [.error(code: first.code, message: message, row: row, value: .object(object))]
        }
        return [.record(.object(object), row: row)]
    }

    /// The current row's cells as text, by column.
    private func texts() -> [Int: String] {
        var out: [Int: String] = [:]
        for (c, v) in cells { if let t = v.scalarText, !t.isEmpty { out[c] = t } }
        return out
    }

    /// Column names from the header cells: merged header cells name every column of their range, an empty
    /// one is named by its letter, a repeated name gets `_2`, `_3`.
    private func names(_ cells: [Int: String]) throws(FileReadError) -> [String] {
        var cells = cells
        let width = max(dimensionColumns ?? 0, (cells.keys.max() ?? -1) + 1)
        if headerRow > 0, dimensionColumns == nil || (0..<width).contains(where: { cells[$0] == nil }) {
            for m in try merges() where m.firstRow <= headerRow && headerRow <= m.lastRow {
                let value = m.firstRow == headerRow ? cells[m.firstColumn] : aboveHeader[m.firstRow]?[m.firstColumn]
                guard let value else { continue }
                for c in m.firstColumn...m.lastColumn where cells[c] == nil { cells[c] = value }
            }
        }
        let total = max(width, (cells.keys.max() ?? -1) + 1)
        var seen: [String: Int] = [:]
        var out: [String] = []
        for c in 0..<total {
            let base = cells[c] ?? XLSXRange.name(column: c)
            seen[base, default: 0] += 1
            out.append(seen[base]! == 1 ? base : "\(base)_\(seen[base]!)")
        }
        return out
    }
}
