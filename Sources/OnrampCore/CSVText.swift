/// CSV text as RFC 4180 writes it: fields quoted when they hold a comma, quote or line break; CRLF.
public enum CSVText {
    public static func line(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",") + "\r\n"
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
