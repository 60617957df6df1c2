import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampExpression
import OnrampTransforms
import Yams

/// Every problem in a pipeline document at once (`onramp lint`, the API's validate): its keys, its connectors'
/// configs, each step's config and JSONata, secrets, and, given the source's discovered fields, the fields the steps
/// read; each at its path, line and column.
public struct PipelineLinter: Sendable {
    public var registry: ConnectorRegistry
    public var resources: ConnectorResources
    /// What `${env:NAME}` reads; a name missing here is a problem. nil: each is a placeholder (shapes only, as the
    /// server validates: the operator's environment is not the tenant's to probe).
    public var environment: [String: String]?
    /// The fields of the source's records (from `discover`); nil: field references are not checked.
    public var sourceFields: [String]?

    public init(registry: ConnectorRegistry, resources: ConnectorResources, environment: [String: String]? = nil,
                sourceFields: [String]? = nil) {
        self.registry = registry
        self.resources = resources
        self.environment = environment
        self.sourceFields = sourceFields
    }

    /// Lints a file's text; a document that does not parse is one problem at the place the parser stopped.
    public func lint(text: String, file: String) -> [LintProblem] {
        if let syntax = Self.syntaxProblem(text) { return [syntax] }
        let document: Value
        do { document = try PipelineLoader.document(text, file: file) } catch {
            let e = error as? OnrampError ?? OnrampError("spec.syntax", "\(error)")
            return [LintProblem(.error, e.code, e.message, path: nil, at: Self.position(in: e.location, file: file))]
        }
        return lint(document: document, map: SourceMap(text: text))
    }

    /// Lints a parsed document; `map` places each problem in the file.
    public func lint(document: Value, map: SourceMap? = nil) -> [LintProblem] {
        var c = Collector(map: map)
        let raw = document
        let document = substitute(document, &c)
        for e in PipelineSpec.problems(in: document, limit: Collector.limit + 1) { c.add(e) }
        let skipped = Set(["source", "destination"].filter { side in
            Placeholders.references(in: document[side] ?? .null).contains { $0.kind == "param" }
        })
        for side in [ConnectorRegistry.Side.source, .destination] where !skipped.contains(side.rawValue) {
            lintSide(side, document, raw: raw, &c)
        }
        let rawSteps = raw["steps"]?.arrayValue ?? []
        // A template's step with a blank (`${param:…}`) is checked once the blank is filled, as a save checks it.
        for (i, step) in (document["steps"]?.arrayValue ?? []).enumerated()
        where !(i < rawSteps.count && Placeholders.references(in: rawSteps[i]).contains { $0.kind == "param" }) {
            lintStep(step, "steps[\(i)]", &c)
        }
        if c.problems.allSatisfy({ $0.severity == .warning }), let spec = try? PipelineSpec(from: document) {
            lintFields(spec, &c)
        }
        return c.problems
    }

    /// Fills `${env:…}` from the environment (a missing one is a problem) and `${secret:…}`, `${param:…}` with a
    /// placeholder: lint checks shapes, it never reads a secret.
    private func substitute(_ document: Value, _ c: inout Collector) -> Value {
        do { try Placeholders.checkSecretPlacement(document, registry: registry) } catch { c.add(error) }
        var values: [String: [String: String]] = ["env": [:], "secret": [:], "param": [:]]
        for ref in Placeholders.locatedReferences(in: document) {
            let known: String? = environment.map { $0[ref.name] } ?? "placeholder"
            if ref.kind == "env", let v = known {
                values["env"]![ref.name] = v
                continue
            }
            if ref.kind == "env" {
                c.add(OnrampError("spec.env", "environment variable \(ref.name) is not set", at: ref.path,
                                  hint: "set \(ref.name) where lint and runs read the environment, or use ${secret:\(ref.name)}"))
            }
            values[ref.kind, default: [:]][ref.name] = "placeholder"
        }
        return (try? Placeholders.substitute(document, values: values)) ?? document
    }

    private func lintSide(_ side: ConnectorRegistry.Side, _ document: Value, raw: Value, _ c: inout Collector) {
        let key = side.rawValue
        guard let ref = document[key], let name = ref["connector"]?.stringValue else { return }
        let config = ref["config"] ?? .object([:])
        let built = PipelineSpec.ConnectorRef(connector: name, config: config, incremental: ref["incremental"])
        /// The connector as a run builds it: its config's defaults, its own checks, an unknown name's error.
        func make() throws {
            if side == .source { _ = try registry.makeSource(built, resources: resources) }
            else { _ = try registry.makeDestination(built, resources: resources) }
        }
        let schema = side == .source ? registry.sources[name]?.configSchema : registry.destinations[name]?.configSchema
        guard let schema else {
            do { try make() } catch { c.add(error) }
            return
        }
        guard case .object = config else { return }
        let before = c.problems.count
        for e in JSONSchema.problems(config, against: schema, at: "\(key).config", limit: Collector.limit + 1) {
            if e.code == "config.missing", let field = e.location?.split(separator: ".").last,
               JSONSchema.isSecret(JSONSchema.property(String(field), of: schema)) {
                c.add(OnrampError("lint.secret_missing", "the required secret \(field) is missing", at: e.location,
                                  hint: "\(field): ${secret:NAME}, with NAME stored as a secret of the tenant"))
            } else {
                c.add(e)
            }
        }
        lintExpressions(config, schema: schema, path: "\(key).config", &c)
        for (field, value) in raw[key]?["config"]?.objectValue ?? [:]
        where JSONSchema.isSecret(JSONSchema.property(field, of: schema)) && value.stringValue?.contains("${") == false {
            c.add(.warning, "lint.secret_literal", "a secret is written in the file", path: "\(key).config.\(field)",
                  position: c.map?.position(of: "\(key).config.\(field)"),
                  hint: "\(field): ${secret:NAME} (server) or ${env:NAME} (CLI), and rotate the key that was written here")
        }
        guard !c.problems[before...].contains(where: { $0.severity == .error }) else { return }
        do {
            try make()
        } catch let e as OnrampError {
            c.add(e.location?.hasPrefix(key) == true ? e : OnrampError(e.code, e.message, at: key, hint: e.hint))
        } catch {
            c.add(OnrampError("connector.invalid", "\(error)", at: key))
        }
    }

    private func lintStep(_ step: Value, _ path: String, _ c: inout Collector) {
        guard case .object(let o) = step else { return }
        let types = o.keys.filter { $0 != "name" }
        guard types.count == 1, let type = types.first, let config = o[type] else { return }
        let stepPath = "\(path).\(type)"
        let known = StepFactory.types + registry.transforms.keys.sorted()
        if StepFactory.byName[type] == nil && registry.transforms[type] == nil {
            c.add(OnrampError("spec.step", "unknown step type '\(type)'; expected one of \(known.joined(separator: ", "))",
                              at: stepPath, hint: Suggestion.hint(for: type, in: known)))
            return
        }
        if type == "group", config["by"] == nil {
            c.add(OnrampError("lint.group_without_key", "a group needs a key: the field or expression that rows of one "
                              + "document share", at: stepPath, hint: "group: {by: order_no, header: \"record_type = 'H'\"}"))
            return
        }
        let before = c.problems.count
        if let schema = StepFactory.byName[type]?.configSchema ?? registry.transforms[type]?.configSchema {
            if StepFactory.byName[type] == nil || !StepFactory.selfChecked.contains(type) {
                for e in JSONSchema.problems(config, against: schema, at: stepPath, limit: Collector.limit + 1) { c.add(e) }
            }
            lintExpressions(config, schema: schema, path: stepPath, &c)
        }
        guard c.problems.count == before else { return }
        let spec = PipelineSpec.StepSpec(type: type, config: config, name: o["name"]?.stringValue, path: stepPath)
        do { try RunStep.validate(spec, registry: registry, resources: resources) } catch { c.add(error) }
    }

    /// Compiles every JSONata string the schema marks (`format: jsonata`), each error at its character in the file.
    func lintExpressions(_ value: Value, schema: Value?, path: String, _ c: inout Collector) {
        for (expression, at) in Self.expressions(in: value, schema: schema, path: path) {
            do { _ = try JSONata(expression) } catch {
                c.add(.error, "expr.\(error.code)", error.message, path: at,
                      position: c.map?.position(of: at, offset: max(0, (error.position ?? 1) - 1)))
            }
        }
    }

    /// The strings `schema` marks as JSONata in `value`, with their paths.
    static func expressions(in value: Value, schema: Value?, path: String) -> [(String, String)] {
        strings(in: value, schema: schema, path: path, format: "jsonata")
    }

    /// The strings of `value` whose schema has `format` (`jsonata`, `field-path`), with their paths.
    static func strings(in value: Value, schema: Value?, path: String, format: String, depth: Int = 0) -> [(String, String)] {
        guard let schema, depth < 64 else { return [] }
        switch value {
        case .string(let s):
            return schema["format"]?.stringValue == format ? [(s, path)] : []
        case .array(let items):
            return items.enumerated().flatMap {
                strings(in: $0.element, schema: schema["items"], path: "\(path)[\($0.offset)]", format: format, depth: depth + 1)
            }
        case .object(let o):
            return o.flatMap { k, v in
                let child = JSONSchema.property(k, of: schema) ?? schema["additionalProperties"]?.objectValue.map(Value.object)
                return strings(in: v, schema: child, path: "\(path).\(k)", format: format, depth: depth + 1)
            }
        default:
            return []
        }
    }

    /// The problem a YAML parser reports, at its line and column; nil when the text parses.
    static func syntaxProblem(_ text: String) -> LintProblem? {
        if text.drop(while: \.isWhitespace).first == "{" { return nil }
        do {
            _ = try Yams.compose(yaml: text)
            return nil
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                 .composer(_, let problem, let mark, _):
                return LintProblem(.error, "spec.syntax", problem, path: nil,
                                   at: SourceMap.Position(line: mark.line, column: mark.column))
            case .duplicatedKeysInMapping(let duplicates, let context):
                return LintProblem(.error, "spec.duplicate_key", "the key \(duplicates.joined(separator: ", ")) appears twice "
                                   + "in one mapping", path: nil,
                                   at: SourceMap.Position(line: context.mark.line, column: context.mark.column))
            default:
                return LintProblem(.error, "spec.syntax", "\(e)", path: nil)
            }
        } catch {
            return LintProblem(.error, "spec.syntax", "\(error)", path: nil)
        }
    }

    /// `file:12:3` (a JSON syntax error's location) as a position.
    static func position(in location: String?, file: String) -> SourceMap.Position? {
        guard let location, location.hasPrefix(file + ":") else { return nil }
        let parts = location.dropFirst(file.count + 1).split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? SourceMap.Position(line: parts[0], column: parts[1]) : nil
    }

    /// Problems in document order of discovery, one per code and path, each placed by the source map.
    struct Collector {
        let map: SourceMap?
        var problems: [LintProblem] = []
        private var seen: Set<String> = []
        private var paths: Set<String> = []
        /// Problems reported at most; past it, one `lint.truncated` says there are more.
        static let limit = 200

        init(map: SourceMap?) { self.map = map }

        mutating func add(_ error: Error) {
            let e = error as? OnrampError ?? OnrampError("spec.invalid", "\(error)")
            let path = e.location.map(LintProblem.fieldPath)
            // A builder's first error where a finer check already reported: the same problem said twice.
            var ancestor = path
            while let p = ancestor {
                if paths.contains(p) { return }
                ancestor = SourceMap.parent(of: p)
            }
            let key = e.code == "spec.unknown_key" || e.code == "config.unknown_key"
            add(.error, e.code, e.message, path: path, position: path.flatMap { map?.position(of: $0, key: key) }, hint: e.hint)
        }

        mutating func add(_ severity: LintProblem.Severity, _ code: String, _ message: String, path: String?,
                          position: SourceMap.Position?, hint: String? = nil) {
            guard problems.count < Self.limit else {
                if problems.count == Self.limit {
                    problems.append(LintProblem(.error, "lint.truncated", "more than \(Self.limit) problems; fix these first",
                                                path: nil))
                }
                return
            }
            guard seen.insert("\(code) \(path ?? "")").inserted else { return }
            if let path, severity == .error { paths.insert(path) }
            problems.append(LintProblem(severity, code, message, path: path, at: position, hint: hint))
        }
    }
}

extension PipelineLinter {
    /// The stream a source reads among those it discovered: the only one, or the one its config names (`table`,
    /// `stream`, `resource`, `sheet`, `query`); nil when that cannot be told.
    public static func stream(of source: PipelineSpec.ConnectorRef, in streams: [DiscoveredStream]) -> DiscoveredStream? {
        if streams.count == 1 { return streams[0] }
        for key in ["table", "stream", "resource", "sheet", "view"] {
            if let name = source.config[key]?.stringValue, let s = streams.first(where: { $0.name == name }) { return s }
        }
        return nil
    }
}
