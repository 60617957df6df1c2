import OnrampCore

/// `lookup`: enriches each record from a reference table (inline rows, or rows the engine read from any source:
/// a CSV/JSON/XLSX file in the tenant's area, a database table). Records match rows on one or more keys; a record
/// without a match takes the defaults, is kept as it is, or becomes an error record, as configured.
final class LookupStep: Step {
    let keys: [(record: FieldPath, column: String)]
    let assignments: [(field: FieldPath, column: String)]
    let into: FieldPath?
    let ignoreCase: Bool
    let trim: Bool
    let missing: String
    let defaults: [(FieldPath, Value)]
    let label: String
    private(set) var index: [String: Value.Object] = [:]

    init(_ c: StepConfig, rows: [Value], label: String) throws(OnrampError) {
        keys = try c.names("on").map { (record: $0.0, column: $0.1) }
        guard !keys.isEmpty else { throw OnrampError("config.length", "match on at least one field", at: c.at("on")) }
        assignments = try c.names("set").map { (field: $0.0, column: $0.1) }
        into = try c.string("into").map { (s) throws(OnrampError) in try FieldPath(s, at: c.at("into")) }
        guard !assignments.isEmpty || into != nil else {
            throw OnrampError("config.missing", "say what a match adds: `set` (field: column) or `into` (a field for the row)",
                              at: c.path)
        }
        ignoreCase = try c.bool("ignore_case", default: false)
        trim = try c.bool("trim", default: true)
        missing = try c.string("missing", default: "error")
        var defaults: [(FieldPath, Value)] = []
        for (field, v) in try c.object("default") ?? [:] { defaults.append((try FieldPath(field, at: c.at("default")), v)) }
        self.defaults = defaults
        if missing == "default" && defaults.isEmpty {
            throw OnrampError("config.missing", "`missing: default` needs `default` values", at: c.at("default"))
        }
        self.label = label
        let maxRows = try c.int("max_rows", default: 1_000_000)
        guard rows.count <= maxRows else {
            throw OnrampError("lookup.too_large", "the table has more than \(maxRows) rows (max_rows)", at: c.at("table"))
        }
        for (i, row) in rows.enumerated() {
            guard case .object(let o) = row else {
                throw OnrampError("lookup.row", "row \(i + 1) of the table is \(row.typeName), not an object", at: c.at("table"))
            }
            guard let k = key(keys.map { o[$0.column] }) else { continue }
            if index[k] == nil { index[k] = o }
        }
    }

    /// The match key of some values, normalised as configured; nil when one is missing or not a scalar.
    func key(_ values: [Value?]) -> String? {
        if values.count == 1 { return part(values[0]) }
        var parts: [String] = []
        for v in values {
            guard let text = part(v) else { return nil }
            parts.append(text)
        }
        return parts.joined(separator: "\u{1F}")
    }

    func part(_ v: Value?) -> String? {
        guard let v, !v.isNull, var text = v.scalarText else { return nil }
        if trim { text = text.trimmingWhiteSpace }
        if ignoreCase { text = text.lowercased() }
        return text
    }

    /// A record's match key (one field: no list built).
    private func key(of record: Value) -> String? {
        keys.count == 1 ? part(keys[0].record.get(record)) : key(keys.map { $0.record.get(record) })
    }

    /// Records are independent (the index is only read), so a batch is matched on all cores, in order.
    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var records = records
        process(taking: &records, errors: &errors)
        return records
    }

    func process(taking records: inout [Record], errors: inout [RecordError]) {
        ParallelChunks.update(&records, errors: &errors) { r, errors in
            if let k = key(of: r.value), let row = index[k] {
                for (field, column) in assignments { field.set(row[column] ?? .null, in: &r.value) }
                if let into { into.set(.object(row), in: &r.value) }
            } else {
                switch missing {
                case "keep": break
                case "default":
                    for (field, v) in defaults { field.set(v, in: &r.value) }
                default:
                    let shown = keys.map { "\($0.record)=\($0.record.get(r.value).flatMap(\.scalarText) ?? "(none)")" }
                    errors.append(RecordError(stage: .transform, position: r.position, code: "lookup.missing",
                                              message: "no row of the table matches \(shown.joined(separator: ", "))",
                                              step: label, value: r.value, field: keys.first?.record.description))
                    return false
                }
            }
            return true
        }
    }
}

extension LookupStep {
    static let spec = StepSpec(
        name: "lookup",
        summary: "Enriches records from a reference table: inline rows, a file in the tenant's area or any source.",
        configSchema: Schema.object([
            "table": Schema.object([
                "rows": ["type": "array", "title": "Rows", "description": "The table inline: a list of objects",
                         "items": ["type": "object"]],
                "file": Schema.string("File", "A CSV, JSON, NDJSON, XML or XLSX file in the tenant's area (its format from its extension)",
                                      extra: ["examples": ["reference/countries.csv"]]),
                "source": ["type": "object", "title": "Source",
                           "description": "Any source connector, read whole: {connector, config}",
                           "required": ["connector"]],
                "reference": Schema.string("Reference table", "A reference table of the tenant's (maintained over the "
                                           + "API: /reference-tables); its latest version unless `version` says",
                                           extra: ["examples": ["countries"]]),
                "version": Schema.integer("Version", "The reference table's version to use", min: 1, max: 1_000_000),
            ]),
            "on": Schema.map("Match on", "Record field path: table column; every pair must match",
                             values: ["type": "string", "minLength": 1]),
            "set": Schema.map("Set", "Record field path: table column, copied from the matching row",
                              values: ["type": "string", "minLength": 1]),
            "into": Schema.field("Into", "A field that receives the whole matching row"),
            "ignore_case": Schema.boolean("Ignore case", "Match keys case-insensitively", default: false),
            "trim": Schema.boolean("Trim", "Ignore spaces around keys", default: true),
            "missing": Schema.choice("When nothing matches", "error: an error record (lookup.missing); default: the "
                                     + "`default` values; keep: the record unchanged", ["error", "default", "keep"],
                                     default: "error"),
            "default": Schema.map("Defaults", "Field path: value, set when nothing matches (missing: default)",
                                  values: [:]),
            "max_rows": Schema.integer("Max rows", "The table may not be larger", min: 1, max: 5_000_000,
                                       default: 1_000_000),
        ], required: ["table", "on"]),
        example: """
        - lookup:
            table: {file: reference/countries.csv}
            on: {country: name}
            set: {country_code: code}
            ignore_case: true
        """,
        build: { config, spec, context in
            let c = try StepConfig(config, at: spec.path)
            let table = try StepConfig(config["table"] ?? .null, at: c.at("table"))
            guard table.value.keys.filter({ $0 != "version" }).count == 1,
                  table.value["version"] == nil || table.value["reference"] != nil else {
                throw OnrampError("config.table", "give exactly one of rows, file, source or reference (with its version)",
                                  at: table.path)
            }
            let rows: [Value]
            if let inline = try table.array("rows") {
                rows = inline
            } else if let loaded = context.tables[spec.path] {
                rows = loaded
            } else if context.validating {
                rows = []
            } else {
                throw OnrampError("lookup.not_loaded", "the table was not read", at: "\(spec.path).table")
            }
            return try LookupStep(c, rows: rows, label: spec.name ?? spec.path)
        })
}

extension StepFactory {
    /// The folder of a tenant's reference table in its file area: one `v<N>.csv` per version.
    public static func referenceFolder(_ name: String) -> String { "reference-tables/\(name)" }

    /// A `lookup` step's reference table: its name and the version asked for (nil: the latest).
    public static func tableReference(_ spec: PipelineSpec.StepSpec) -> (name: String, version: Int?)? {
        guard spec.type == "lookup", case .string(let name)? = spec.config["table"]?["reference"] else { return nil }
        return (name, spec.config["table"]?["version"]?.numberValue.flatMap { $0.isFinite && abs($0) < 1e9 ? Int($0) : nil })
    }

    /// The source to read for a `lookup` step's table (file: by its extension; reference: a version's CSV), nil for
    /// inline rows or another step. A reference without a version needs the latest one's number: `latest`.
    public static func tableSource(_ spec: PipelineSpec.StepSpec, latest: (String) throws -> Int = { _ in 1 }) rethrows
        -> PipelineSpec.ConnectorRef? {
        if let (name, version) = tableReference(spec) {
            let v = try version ?? latest(name)
            return PipelineSpec.ConnectorRef(connector: "csv", config: ["path": .string("\(referenceFolder(name))/v\(v).csv")],
                                             incremental: nil)
        }
        guard spec.type == "lookup", let table = spec.config["table"] else { return nil }
        if case .object(let ref)? = table["source"], case .string(let connector)? = ref["connector"] {
            return PipelineSpec.ConnectorRef(connector: connector, config: ref["config"] ?? .object([:]), incremental: nil)
        }
        guard case .string(let file)? = table["file"] else { return nil }
        var name = file.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        let ext = name.split(separator: ".").last.map(String.init) ?? ""
        return PipelineSpec.ConnectorRef(connector: ext == "jsonl" ? "ndjson" : ext, config: ["path": .string(file)],
                                         incremental: nil)
    }
}
