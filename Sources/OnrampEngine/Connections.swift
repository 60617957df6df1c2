import OnrampCore

/// Expands `source: {connection: NAME}` / `destination: {connection: NAME}` into the named
/// connection's connector and config, keeping the reference's other keys (`incremental`).
public enum Connections {
    public static func expand(_ document: Value, _ connections: [String: (connector: String, config: Value)]) throws -> Value {
        guard case .object(var root) = document else { return document }
        for side in ["source", "destination"] {
            guard case .object(var ref)? = root[side], let name = ref["connection"] else { continue }
            guard case .string(let n) = name else { throw OnrampError("spec.type", "must be a connection name", at: "\(side).connection") }
            guard let c = connections[n] else {
                throw OnrampError("spec.connection", "no connection named '\(n)' for this tenant; known: \(connections.keys.sorted().joined(separator: ", "))", at: "\(side).connection")
            }
            if ref["connector"] != nil || ref["config"] != nil {
                throw OnrampError("spec.connection", "give either connection or connector and config", at: side)
            }
            ref["connection"] = nil
            ref["connector"] = .string(c.connector)
            ref["config"] = c.config
            root[side] = .object(ref)
        }
        return .object(root)
    }
}
