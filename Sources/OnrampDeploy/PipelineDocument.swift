import OnrampCore

/// The canonical form of a pipeline document as pipelines-as-code writes and compares it: the known top-level keys
/// in the reference's order, then any others as stored; everything inside (connector and step configs) as stored.
public enum PipelineDocument {
    public static let keyOrder = [
        "version", "name", "description", "source", "steps", "destination", "results", "errors",
        "batch_size", "notify",
    ]

    public static func canonical(_ document: Value) -> Value {
        guard case .object(let o) = document else { return document }
        var out = Value.Object()
        for key in keyOrder { if let v = o[key] { out[key] = v } }
        for (key, v) in o where out[key] == nil { out[key] = v }
        return .object(out)
    }
}
