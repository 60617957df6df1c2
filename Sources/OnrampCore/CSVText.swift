/// CSV text as RFC 4180 writes it: fields quoted when they hold a comma, quote or line break; CRLF.
public enum CSVText {
    public static func line(_ fields: [String]) -> String {
        var out: [UInt8] = []
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let bytes = f.utf8
            guard bytes.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
                out.append(contentsOf: bytes)
                continue
            }
            out.append(0x22)
            for b in bytes {
                if b == 0x22 { out.append(0x22) }
                out.append(b)
            }
            out.append(0x22)
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return String(decoding: out, as: UTF8.self)
    }

    /// One row of an object record: scalars as text, arrays and objects as JSON.
    public static func field(_ v: Value?) -> String {
        guard let v else { return "" }
        return v.scalarText ?? JSONWriter.string(v)
    }

    /// The fields of one line `line(_:)` wrote (the header of a file being appended to).
    public static func parseLine(_ text: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(text.hasSuffix("\r") ? String(text.dropLast()) : text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }
}
