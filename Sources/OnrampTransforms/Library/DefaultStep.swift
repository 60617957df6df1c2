import OnrampCore

/// `default`: values for fields that are missing, null or (unless `blank: false`) only whitespace.
final class DefaultStep: Step {
    let values: [(FieldPath, Value)]
    let blank: Bool
    let label: String

    init(_ c: StepConfig, label: String) throws(OnrampError) {
        var values: [(FieldPath, Value)] = []
        for (field, v) in try c.object("fields") ?? [:] { values.append((try FieldPath(field, at: c.at("fields")), v)) }
        guard !values.isEmpty else { throw OnrampError("config.length", "give at least one field", at: c.at("fields")) }
        self.values = values
        blank = try c.bool("blank", default: true)
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        records.map { r in
            var v = r.value
            for (field, d) in values {
                let current = field.get(v)
                if current == nil || current!.isNull || (blank && current!.isBlank) { field.set(d, in: &v) }
            }
            return Record(v, position: r.position)
        }
    }
}

extension DefaultStep {
    static let spec = StepSpec(
        name: "default",
        summary: "Fills fields that are missing, null or blank with a value.",
        configSchema: Schema.object([
            "fields": Schema.map("Fields", "Field path: the value it gets when empty", values: [:]),
            "blank": Schema.boolean("Blank is empty", "A text of only spaces counts as empty", default: true),
        ], required: ["fields"]),
        example: """
        - default: {fields: {currency: EUR, "ship_to.country": DE}}
        """,
        build: { config, spec, _ in try DefaultStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path) })
}

/// `coalesce`: a field gets the first of several fields that is not missing, null or blank.
final class CoalesceStep: Step {
    let targets: [(FieldPath, [FieldPath])]
    let label: String

    init(_ c: StepConfig, label: String) throws(OnrampError) {
        var targets: [(FieldPath, [FieldPath])] = []
        let fields = try StepConfig(.object(try c.object("fields") ?? [:]), at: c.at("fields"))
        for key in fields.value.keys {
            let sources = try fields.fields(key) ?? []
            guard !sources.isEmpty else { throw OnrampError("config.length", "give the fields to choose from", at: fields.at(key)) }
            targets.append((try FieldPath(key, at: fields.path), sources))
        }
        guard !targets.isEmpty else { throw OnrampError("config.length", "give at least one field", at: c.at("fields")) }
        self.targets = targets
        self.label = label
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        records.map { r in
            var v = r.value
            for (target, sources) in targets {
                let first = sources.lazy.compactMap { $0.get(r.value) }.first { !$0.isBlank }
                target.set(first ?? .null, in: &v)
            }
            return Record(v, position: r.position)
        }
    }
}

extension CoalesceStep {
    static let spec = StepSpec(
        name: "coalesce",
        summary: "Sets a field to the first of several fields that is not empty.",
        configSchema: Schema.object([
            "fields": Schema.map("Fields", "Target field path: the field paths to take it from, in order",
                                 values: ["type": "array", "minItems": 1, "items": ["type": "string", "minLength": 1]]),
        ], required: ["fields"]),
        example: """
        - coalesce: {fields: {ship_city: [ship_to_city, bill_to_city, city]}}
        """,
        build: { config, spec, _ in try CoalesceStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path) })
}
