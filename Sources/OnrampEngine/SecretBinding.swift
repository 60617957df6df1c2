import OnrampConnectorKit
import OnrampCore

/// A tenant's secret as a run or preview receives it: its value and the origins it may be sent to
/// (empty: bound to none).
public struct TenantSecret: Sendable, Equatable {
    public var value: String
    public var origins: [String]

    public init(value: String, origins: [String] = []) {
        self.value = value
        self.origins = origins
    }
}

/// Checks that every `${secret:NAME}` in a connector config (or `notify.secret`) goes only to the origins the
/// secret is bound to: every field the connector's schema marks `x-origin` must name one of them.
public enum SecretBinding {
    /// A place in a document that sends secrets: its path, the schema of its config and the config.
    struct Sender {
        var path: String
        var schema: Value?
        var config: Value
    }

    /// `template` is the document as written (its `${secret:…}` still in place), `resolved` the same document
    /// with its placeholders filled as far as they are known; a field still holding a placeholder reference is
    /// checked once it is filled. `origins` maps each secret's name to where it may go (empty: nowhere, unless `allowUnbound`).
    public static func check(_ template: Value, resolved: Value, origins: [String: [String]], allowUnbound: Bool,
                             registry: ConnectorRegistry) throws {
        let filled = Dictionary(senders(in: resolved, registry: registry).map { ($0.path, $0) },
                                uniquingKeysWith: { a, _ in a })
        for sender in senders(in: template, registry: registry) {
            let references = Placeholders.locatedReferences(in: sender.config)
            let names = Set(references.filter { $0.kind == "secret" }.map(\.name))
            guard !names.isEmpty, let target = filled[sender.path] else { continue }
            let fields = sender.path == "notify"
                ? SecretOrigin.fields(in: target.config, schema: Self.notifySchema, path: "notify")
                : SecretOrigin.fields(in: target.config, schema: target.schema, path: "\(sender.path).config")
            // A connector that names no origin field anywhere (a plugin's spec, say) could send a credential anywhere:
            // a secret bound to origins does not go into it; one stored for it, bound to none, may.
            if sender.path != "notify", !Self.namesOrigin(target.schema) {
                for reference in references where reference.kind == "secret" && !(origins[reference.name] ?? []).isEmpty {
                    throw OnrampError("spec.secret_origin", "secret \(reference.name) may be sent only to "
                                      + "\((origins[reference.name] ?? []).joined(separator: ", ")), and this connector does not say "
                                      + "where it sends its credentials (no x-origin field); store a secret of its own for it",
                                      at: "\(sender.path).config" + (reference.path.isEmpty ? "" : ".\(reference.path)"))
                }
            }
            // A field whose own placeholder is not filled yet (a parameter) is checked once it is; any other `${`
            // is text (`https://evil.example/?${x}`), and the field is checked as written.
            for field in fields where Placeholders.locatedReferences(in: .string(field.text)).isEmpty {
                for name in names.sorted() {
                    try check(name, bound: origins[name] ?? [], allowUnbound: allowUnbound, origin: field.origin, at: field.path)
                }
            }
        }
    }

    /// Whether a schema marks any field, at any depth, with `x-origin`.
    static func namesOrigin(_ schema: Value?) -> Bool {
        switch schema {
        case .object(let o)?: return o["x-origin"] != nil || o.values.contains { namesOrigin($0) }
        case .array(let a)?: return a.contains { namesOrigin($0) }
        default: return false
        }
    }

    /// `notify.url` is where `notify.secret` signs to.
    static let notifySchema: Value = ["properties": ["url": ["x-origin": true]]]

    /// Whether secret `name`, bound to `bound`, may go to `origin` (named by the field at `path`).
    static func check(_ name: String, bound: [String], allowUnbound: Bool, origin: SecretOrigin?, at path: String) throws(OnrampError) {
        guard let origin else {
            throw OnrampError("spec.secret_origin", "secret \(name) goes only to a fixed origin; this field names "
                              + "no scheme and host it can be checked against", at: path)
        }
        if bound.isEmpty {
            if allowUnbound { return }
            throw OnrampError("spec.secret_origin", "secret \(name) is bound to no origin, so it is not sent to "
                              + "\(origin) (whoever stores the secret lists where it may go: "
                              + "\"origins\": [\"\(origin)\"])",
                              at: path)
        }
        guard bound.compactMap(SecretOrigin.init(origin:)).contains(origin) else {
            throw OnrampError("spec.secret_origin", "secret \(name) may be sent only to "
                              + "\(bound.joined(separator: ", ")), not to \(origin)", at: path)
        }
    }

    /// The source, destination, lookup sources and route destinations of a document, and its notify block.
    static func senders(in document: Value, registry: ConnectorRegistry) -> [Sender] {
        var out: [Sender] = []
        func add(_ side: Value?, path: String, schemas: (String) -> Value?) {
            guard let side, let config = side["config"] else { return }
            out.append(Sender(path: path, schema: schemas(side["connector"]?.stringValue ?? ""), config: config))
        }
        let sources = { (name: String) in registry.sources[name]?.configSchema }
        let destinations = { (name: String) in registry.destinations[name]?.configSchema }
        add(document["source"], path: "source", schemas: sources)
        add(document["destination"], path: "destination", schemas: destinations)
        for (i, step) in (document["steps"]?.arrayValue ?? []).enumerated() {
            add(step["lookup"]?["table"]?["source"], path: "steps[\(i)].lookup.table.source", schemas: sources)
            add(step["route"]?["destination"], path: "steps[\(i)].route.destination", schemas: destinations)
        }
        if let notify = document["notify"], notify.objectValue != nil {
            out.append(Sender(path: "notify", schema: nil, config: notify))
        }
        return out
    }
}
