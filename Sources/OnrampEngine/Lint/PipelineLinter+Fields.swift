import OnrampConnectorKit
import OnrampCore
import OnrampExpression
import OnrampTransforms

/// Field flow through the steps: a read of a field the records do not have at that point (given the source's
/// discovered fields), and a step whose fields a later `map` or `drop` throws away unread.
extension PipelineLinter {
    /// A field a step reads, where it says so (an expression's path and the name's offset in it).
    struct FieldRead {
        var name: String
        var path: String
        var offset: Int?
        /// Reads that may name a field an export lacks on purpose (`coalesce`'s alternatives) are not flagged.
        var checked = true
    }

    /// What a step does to the fields of the records passing through it.
    struct FieldEffect {
        var reads: [FieldRead] = []
        var readsAll = false
        /// The records go, whole, into a field of new ones (a `group`'s rows into `into`): what earlier steps set is
        /// read by whatever reads that field.
        var nests = false
        var writes: [String] = []
        var removes: [String] = []
        /// The record is replaced: by one with these fields (a map's object constructor), or of unknown shape (nil).
        var replaced: [String]?? = .none
    }

    func lintFields(_ spec: PipelineSpec, _ c: inout Collector) {
        var known: Set<String>? = sourceFields.map(Set.init)
        var pending: [String: Int] = [:]
        let effects = spec.steps.map { Self.effect(of: $0, registry: registry) }
        for (i, step) in spec.steps.enumerated() {
            let effect = effects[i]
            if let fields = known {
                for r in effect.reads where r.checked && !fields.contains(r.name) {
                    c.add(.warning, "lint.unknown_field", "reads the field \(r.name), which the records do not have here"
                          + (sourceFields.map { " (the source's fields: \($0.prefix(12).joined(separator: ", "))"
                              + ($0.count > 12 ? ", …)" : ")") } ?? ""),
                          path: r.path, position: r.offset.flatMap { c.map?.position(of: r.path, offset: $0) }
                              ?? c.map?.position(of: r.path),
                          hint: Suggestion.hint(for: r.name, in: fields.sorted()))
                }
            }
            if effect.readsAll || effect.nests { pending.removeAll() }
            for r in effect.reads { pending[r.name] = nil }
            var discarded: [Int: [String]] = [:]
            if case .some(let replacement) = effect.replaced {
                for (field, writer) in pending { discarded[writer, default: []].append(field) }
                pending.removeAll()
                known = replacement.map(Set.init)
            }
            for field in effect.removes {
                if let writer = pending.removeValue(forKey: field) { discarded[writer, default: []].append(field) }
                known?.remove(field)
            }
            for (writer, fields) in discarded.sorted(by: { $0.key < $1.key }) {
                let path = spec.steps[writer].path
                let all = Set(effects[writer].writes) == Set(fields)
                c.add(.warning, all ? "lint.unused_step" : "lint.unused_field",
                      (all ? "the step has no effect: " : "")
                      + "it sets \(fields.sorted().joined(separator: ", ")), which \(step.path) discards unread",
                      path: path, position: c.map?.position(of: path, key: true),
                      hint: all ? "remove the step, or read its field\(fields.count == 1 ? "" : "s") in \(step.path)"
                          : "read the field\(fields.count == 1 ? "" : "s") in \(step.path), or stop setting them")
            }
            for field in effect.writes {
                pending[field] = i
                known?.insert(field)
            }
        }
    }

    /// The reads, writes and shape change of one step, from its config.
    static func effect(of step: PipelineSpec.StepSpec, registry: ConnectorRegistry) -> FieldEffect {
        var e = FieldEffect()
        guard let schema = StepFactory.byName[step.type]?.configSchema else {
            e.readsAll = true
            e.replaced = .some(nil)
            return e
        }
        for (source, path) in expressions(in: step.config, schema: schema, path: step.path) {
            guard let compiled = try? JSONata(source) else { continue }
            let fields = compiled.inputFields
            e.readsAll = e.readsAll || fields.wholeInput
            for n in fields.names {
                e.reads.append(FieldRead(name: n.name, path: path, offset: max(0, n.position - n.name.utf16.count)))
            }
        }
        for (fieldPath, path) in strings(in: step.config, schema: schema, path: step.path, format: "field-path") {
            e.reads.append(FieldRead(name: root(of: fieldPath), path: path))
        }
        let config = step.config.objectValue ?? [:]
        let keys = { (key: String) in config[key]?.objectValue?.keys.map { root(of: $0) } ?? [] }
        switch step.type {
        case "map":
            e.replaced = .some((try? JSONata(step.config.stringValue ?? "")).flatMap(\.constructedKeys))
        case "set": e.writes = config.keys.map { root(of: $0) }
        case "rename":
            e.reads += config.keys.map { FieldRead(name: root(of: $0), path: "\(step.path).\($0)") }
            e.removes = config.keys.map { root(of: $0) }
            e.writes = config.values.compactMap(\.stringValue).map { root(of: $0) }
        case "drop":
            e.removes = step.config.arrayValue?.compactMap(\.stringValue).map { root(of: $0) } ?? []
        case "default": e.writes = keys("fields")
        case "coalesce":
            e.writes = keys("fields")
            for (k, v) in config["fields"]?.objectValue ?? [:] {
                e.reads += (v.arrayValue ?? []).compactMap(\.stringValue)
                    .map { FieldRead(name: root(of: $0), path: "\(step.path).fields.\(k)", checked: false) }
            }
        case "cast":
            e.reads += keys("fields").map { FieldRead(name: $0, path: "\(step.path).fields.\($0)") }
        case "lookup":
            e.reads += keys("on").map { FieldRead(name: $0, path: "\(step.path).on.\($0)") }
            e.writes = keys("set")
            e.reads.removeAll { $0.path == "\(step.path).into" }
            if let into = config["into"]?.stringValue { e.writes.append(root(of: into)) }
        case "sort":
            for (i, by) in (config["by"]?.arrayValue ?? []).enumerated() {
                guard let text = by.stringValue else { continue }
                e.reads.append(FieldRead(name: root(of: text.hasPrefix("-") ? String(text.dropFirst()) : text),
                                         path: "\(step.path).by[\(i)]"))
            }
        case "group":
            // The rows, with what earlier steps set on them, go into `into`: a later read of it reads them.
            e.nests = true
            e.writes = [config["into"]?.stringValue ?? "lines"]
        case "unnest":
            // `as` and `index` name fields the step makes, not ones it reads.
            e.reads.removeAll { $0.path == "\(step.path).as" || $0.path == "\(step.path).index" }
            e.readsAll = true
            e.replaced = .some(nil)
        case "script", "split", "aggregate":
            e.readsAll = true
            e.replaced = .some(nil)
        default: break
        }
        return e
    }

    /// `customer.name` → `customer`; `lines[0].qty` → `lines`.
    static func root(of fieldPath: String) -> String {
        String(fieldPath.prefix { $0 != "." && $0 != "[" })
    }
}

extension PipelineLinter {
    /// The fields of the source's records that the steps read, each with the first step reading it: reads up to the
    /// first step that reshapes records in ways not followed (or uses the whole record), less fields set on the way.
    public static func sourceReads(_ spec: PipelineSpec, registry: ConnectorRegistry) -> [(field: String, step: String)] {
        var written: Set<String> = []
        var seen: Set<String> = []
        var out: [(field: String, step: String)] = []
        for step in spec.steps {
            let e = effect(of: step, registry: registry)
            for r in e.reads where r.checked && !written.contains(r.name) && seen.insert(r.name).inserted {
                out.append((r.name, step.path))
            }
            if e.readsAll || e.replaced != nil { break }
            written.formUnion(e.writes)
        }
        return out
    }
}
