/// Serialises a `Value` as JSON text, numbers as JavaScript prints them (or as `number` formats them).
public enum JSONWriter {
    public typealias NumberFormat = (Double) -> String

    public static func string(_ value: Value, pretty: Bool = false, number: NumberFormat? = nil) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, pretty: pretty, indent: 0, number: number)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON text; compact unless `pretty`. Without `number`, numbers are written as
    /// JavaScript prints them (whole numbers without an intermediate `String`): the bulk NDJSON path.
    public static func write(_ value: Value, into out: inout [UInt8], pretty: Bool = false, indent: Int = 0, number: NumberFormat? = nil) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let d):
            if let number, d.isFinite { out.append(contentsOf: number(d).utf8) } else { writeNumber(d, into: &out) }
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for i in a.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 2) }
                write(a[i], into: &out, pretty: pretty, indent: indent + 2, number: number)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            let values = o.values
            for (i, k) in o.keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 2) }
                writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                write(values[i], into: &out, pretty: pretty, indent: indent + 2, number: number)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The last top-level keys `write(record:into:memo:)` wrote, encoded: records that share their keys (a database
    /// source's rows) take them from here instead of escaping them again.
    public struct KeyMemo {
        var keys: [String] = []
        /// `"key":`, with a comma before every key but the first.
        var encoded: [[UInt8]] = []

        public init() {}
    }

    /// The same text as `write(_:into:)`, compact, with an object's keys taken from `memo` when they are the last
    /// record's.
    public static func write(record value: Value, into out: inout [UInt8], memo: inout KeyMemo) {
        guard case .object(let o) = value, !o.isEmpty else { return write(value, into: &out) }
        let keys = o.keys.elements
        // By bytes: String's == takes canonically equivalent keys (NFC and NFD) as equal, the text must not.
        if !keys.elementsEqual(memo.keys, by: { $0.utf8.elementsEqual($1.utf8) }) {
            memo.keys = keys
            memo.encoded = keys.indices.map { i in
                var bytes: [UInt8] = i > 0 ? [UInt8(ascii: ",")] : []
                writeString(keys[i], into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                return bytes
            }
        }
        out.append(UInt8(ascii: "{"))
        for (key, v) in zip(memo.encoded, o.values) {
            out.append(contentsOf: key)
            write(v, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A number as JavaScript prints it (`null` when not finite); whole numbers without a `String`.
    public static func writeNumber(_ d: Double, into out: inout [UInt8]) {
        guard d.isFinite else { out.append(contentsOf: "null".utf8); return }
        if d == d.rounded(), Swift.abs(d) < 1e15, d != 0 || d.sign == .plus {
            var n = Int64(d)
            if n < 0 { out.append(UInt8(ascii: "-")); n = -n }
            var digits: (UInt64, UInt64) = (0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buf in
                repeat {
                    buf[15 - count] = UInt8(48 + n % 10)
                    n /= 10
                    count += 1
                } while n > 0
                out.append(contentsOf: buf[(16 - count)...])
            }
            return
        }
        if NumberFormatting.writeShortDecimal(d, into: &out) { return }
        out.append(contentsOf: NumberFormatting.javaScript(d).utf8)
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(utf8: $0, into: &out) }
    }

    /// Writes UTF-8 text as a JSON string literal; runs without escapes are copied whole.
    public static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            runStart = i + 1
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            default:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        out.append(0x22)
    }
}
