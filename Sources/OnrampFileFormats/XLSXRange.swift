/// A cell range such as `A1:C2` (0-based columns, 1-based rows), as `dimension` and `mergeCell` write it.
struct XLSXRange: Sendable, Equatable {
    var firstRow: Int
    var firstColumn: Int
    var lastRow: Int
    var lastColumn: Int

    init(firstRow: Int, firstColumn: Int, lastRow: Int, lastColumn: Int) {
        self.firstRow = firstRow
        self.firstColumn = firstColumn
        self.lastRow = lastRow
        self.lastColumn = lastColumn
    }

    init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 1 || parts.count == 2, let a = Self.cell(parts[0]), let b = Self.cell(parts.last!) else {
            return nil
        }
        self.init(firstRow: a.row, firstColumn: a.column, lastRow: b.row, lastColumn: b.column)
    }

    /// A cell reference (`B5`, `$B$5`): its 1-based row and 0-based column.
    static func cell(_ ref: some StringProtocol) -> (row: Int, column: Int)? {
        var column = 0, row = 0, letters = 0, digits = 0
        for b in ref.utf8 where b != UInt8(ascii: "$") {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z") where digits == 0:
                column = column * 26 + Int(b - UInt8(ascii: "A")) + 1
                letters += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9") where letters > 0:
                row = row * 10 + Int(b - UInt8(ascii: "0"))
                digits += 1
            default: return nil
            }
            if letters > 3 || digits > 7 { return nil }
        }
        guard letters > 0 else { return nil }
        return (digits > 0 ? row : 0, column - 1)
    }

    /// A 0-based column's letters (0: A, 26: AA).
    static func name(column: Int) -> String {
        var n = column + 1
        var out: [UInt8] = []
        while n > 0 {
            n -= 1
            out.insert(UInt8(ascii: "A") + UInt8(n % 26), at: 0)
            n /= 26
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The merged ranges of a sheet part: a byte scan for `mergeCell` elements (they follow the cells, so this
    /// reads the whole part once more, without tokenizing it).
    static func merges(path: String, part: String, limit: Int64) throws(FileReadError) -> [XLSXRange] {
        let stream = try ZipEntryStream(path: path, entry: part, limit: limit)
        defer { stream.cancel() }
        var out: [XLSXRange] = []
        var carry: [UInt8] = []
        let marker = Array("mergeCell ".utf8), refMarker = Array("ref=\"".utf8)
        while let chunk = try stream.read() {
            let bytes = carry + chunk
            var i = 0, resume = max(0, bytes.count - 256)
            while let m = bytes.firstRange(of: marker, from: i) {
                guard let r = bytes.firstRange(of: refMarker, from: m.upperBound),
                      let close = bytes[r.upperBound...].firstIndex(of: UInt8(ascii: "\"")) else {
                    resume = m.lowerBound
                    break
                }
                if let range = XLSXRange(String(decoding: bytes[r.upperBound..<close], as: UTF8.self)) { out.append(range) }
                i = close
                resume = max(resume, close)
            }
            carry = Array(bytes[min(resume, bytes.count)...])
        }
        return out
    }
}

private extension Array where Element == UInt8 {
    func firstRange(of pattern: [UInt8], from start: Int) -> Range<Int>? {
        guard pattern.count <= count else { return nil }
        var i = start
        while i + pattern.count <= count {
            if self[i] == pattern[0] && self[i..<(i + pattern.count)].elementsEqual(pattern) { return i..<(i + pattern.count) }
            i += 1
        }
        return nil
    }
}
