import OnrampCore
import OnrampEngine
import Yams

/// Writes a `Value` as YAML that reads back (with `PipelineLoader.document`, as the server reads YAML) as the same
/// value: keys in the value's order, strings plain only where YAML cannot read them as anything else, multi-line
/// strings as literal blocks, everything else double-quoted. The text is read back before it is returned.
public enum YAMLWriter {
    public static func text(_ value: Value, file: String) throws -> String {
        // Styled first; should that not read back (a corner of the emitter), every string double-quoted; should that
        // not either, the document as JSON (which YAML and the loader read as well).
        for quoteAll in [false, true] {
            let text: String
            do {
                text = try Yams.serialize(
                    node: node(value, quoteAll: quoteAll), indent: 2, width: -1, allowUnicode: true)
            } catch {
                throw OnrampError("deploy.yaml", "cannot write YAML: \(error)", at: file)
            }
            if try PipelineLoader.document(text, file: file) == value { return text }
        }
        let json = JSONWriter.string(value, pretty: true) + "\n"
        if try PipelineLoader.document(json, file: file) == value { return json }
        throw OnrampError("deploy.yaml", "the YAML written does not read back as the same document", at: file)
    }

    static func node(_ value: Value, quoteAll: Bool) -> Node {
        switch value {
        case .null: return Node("null", .implicit, .plain)
        case .bool(let b): return Node(b ? "true" : "false", .implicit, .plain)
        case .number(let d): return Node(NumberFormatting.javaScript(d), .implicit, .plain)
        case .string(let s): return Node(s, .implicit, quoteAll ? .doubleQuoted : style(for: s))
        case .array(let items):
            return Node(items.map { node($0, quoteAll: quoteAll) }, .implicit, items.isEmpty ? .flow : .block)
        case .object(let o):
            let pairs = o.map {
                (
                    Node($0.key, .implicit, quoteAll ? .doubleQuoted : style(for: $0.key, key: true)),
                    node($0.value, quoteAll: quoteAll)
                )
            }
            return Node(pairs, .implicit, o.isEmpty ? .flow : .block)
        }
    }

    /// Plain for words YAML reads as that very string; a literal block for multi-line text; else double quotes.
    static func style(for s: String, key: Bool = false) -> Node.Scalar.Style {
        if !key && s.contains("\n") && blockIsSafe(s) { return .literal }
        return plainIsSafe(s) ? .plain : .doubleQuoted
    }

    /// A literal block keeps text whose lines are printable, end in `\n` only and have no trailing blanks.
    static func blockIsSafe(_ s: String) -> Bool {
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.last == " " || line.last == "\t" { return false }
            for u in line.unicodeScalars
            where u.value < 0x20 && u != "\t" || (0x7F...0x9F).contains(u.value)
                || [0x2028, 0x2029, 0xFEFF].contains(u.value)
            { return false }
        }
        return true
    }

    static func plainIsSafe(_ s: String) -> Bool {
        guard s.range(of: #"^[A-Za-z_][A-Za-z0-9_./-]*( [A-Za-z0-9_./()-]+)*$"#, options: .regularExpression) != nil
        else {
            return false
        }
        let scalar = Node.Scalar(s)
        if Bool.construct(from: scalar) != nil || Int.construct(from: scalar) != nil
            || Double.construct(from: scalar) != nil
        {
            return false
        }
        return s != "null"
    }
}
