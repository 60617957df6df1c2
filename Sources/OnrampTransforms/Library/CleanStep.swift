import Foundation
import OnrampCore

/// `clean`: text fields made tidy: trimmed, runs of spaces collapsed, control characters removed, Unicode NFC,
/// a case. Every string of the record (at any depth) unless `fields` names some.
final class CleanStep: Step {
    let fields: [FieldPath]?
    let trim: Bool
    let collapse: Bool
    let stripControl: Bool
    let nfc: Bool
    let letterCase: String
    let emptyAsNull: Bool
    let label: String

    init(_ c: StepConfig, label: String) throws(OnrampError) {
        fields = try c.fields("fields")
        trim = try c.bool("trim", default: true)
        collapse = try c.bool("collapse_spaces", default: true)
        stripControl = try c.bool("strip_control", default: true)
        nfc = try c.bool("nfc", default: true)
        letterCase = try c.string("case", default: "keep")
        emptyAsNull = try c.bool("empty_as_null", default: false)
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        ParallelChunks.process(records, errors: &errors) { r, out, _ in
            var v = r.value
            if let fields {
                for f in fields { if let x = f.get(v) { f.set(clean(x), in: &v) } }
            } else {
                v = clean(v)
            }
            out.append(Record(v, position: r.position))
        }
    }

    private func clean(_ v: Value) -> Value {
        switch v {
        case .string(let s):
            let t = clean(s)
            return emptyAsNull && t.isEmpty ? .null : .string(t)
        case .array(let a) where fields == nil: return .array(a.map(clean))
        case .object(var o) where fields == nil:
            for (k, x) in o { o[k] = clean(x) }
            return .object(o)
        default: return v
        }
    }

    func clean(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in s.unicodeScalars {
            if u.properties.isWhitespace {
                if collapse { pendingSpace = true } else { out.append(u) }
                continue
            }
            let category = u.properties.generalCategory
            if stripControl, category == .control || (category == .format && u != "\u{200D}") { continue }
            if pendingSpace {
                if !(trim && out.isEmpty) { out.append(" ") }
                pendingSpace = false
            }
            out.append(u)
        }
        if pendingSpace && !trim { out.append(" ") }
        var t = String(out)
        if trim { t = t.trimmingWhiteSpace }
        if nfc { t = t.precomposedStringWithCanonicalMapping }
        switch letterCase {
        case "upper": return t.uppercased()
        case "lower": return t.lowercased()
        case "title": return t.capitalized
        default: return t
        }
    }
}

extension CleanStep {
    static let spec = StepSpec(
        name: "clean",
        summary: "Tidies text: trims, collapses spaces, strips control characters, Unicode NFC, case.",
        configSchema: Schema.object([
            "fields": Schema.fields("Fields", "The field paths to clean (default: every text of the record)"),
            "trim": Schema.boolean("Trim", "Remove spaces at both ends", default: true),
            "collapse_spaces": Schema.boolean("Collapse spaces", "Runs of spaces, tabs and line breaks become one space",
                                              default: true),
            "strip_control": Schema.boolean("Strip control characters", "Remove control and invisible format characters",
                                            default: true),
            "nfc": Schema.boolean("Unicode NFC", "Compose accents (e + ◌́ becomes é)", default: true),
            "case": Schema.choice("Case", "keep, upper, lower or title", ["keep", "upper", "lower", "title"], default: "keep"),
            "empty_as_null": Schema.boolean("Empty as null", "A text that is empty after cleaning becomes null", default: false),
        ]),
        example: """
        - clean: {fields: [name, "ship_to.city"], case: title}
        """,
        build: { config, spec, _ in try CleanStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path) })
}
