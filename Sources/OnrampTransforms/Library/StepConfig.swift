import OnrampCore
import OnrampExpression

/// Typed reads of a step's config after its schema validated it and filled in defaults; a value of the wrong
/// shape (the schema should have refused it) is still an error at its path, never a crash.
struct StepConfig {
    let value: Value.Object
    let path: String

    init(_ config: Value, at path: String) throws(OnrampError) {
        guard case .object(let o) = config else { throw OnrampError("config.type", "must be an object", at: path) }
        value = o
        self.path = path
    }

    func at(_ key: String) -> String { "\(path).\(key)" }

    func string(_ key: String) throws(OnrampError) -> String? {
        guard let v = value[key] else { return nil }
        guard case .string(let s) = v else { throw OnrampError("config.type", "must be a string", at: at(key)) }
        return s
    }

    func string(_ key: String, default d: String) throws(OnrampError) -> String { try string(key) ?? d }

    func bool(_ key: String, default d: Bool) throws(OnrampError) -> Bool {
        guard let v = value[key] else { return d }
        guard case .bool(let b) = v else { throw OnrampError("config.type", "must be true or false", at: at(key)) }
        return b
    }

    func int(_ key: String, default d: Int) throws(OnrampError) -> Int {
        guard let v = value[key] else { return d }
        guard case .number(let n) = v, n == n.rounded(), abs(n) < 1e15 else {
            throw OnrampError("config.type", "must be an integer", at: at(key))
        }
        return Int(n)
    }

    func object(_ key: String) throws(OnrampError) -> Value.Object? {
        guard let v = value[key] else { return nil }
        guard case .object(let o) = v else { throw OnrampError("config.type", "must be an object", at: at(key)) }
        return o
    }

    func array(_ key: String) throws(OnrampError) -> [Value]? {
        guard let v = value[key] else { return nil }
        guard case .array(let a) = v else { throw OnrampError("config.type", "must be a list", at: at(key)) }
        return a
    }

    /// A list of field paths.
    func fields(_ key: String) throws(OnrampError) -> [FieldPath]? {
        guard let a = try array(key) else { return nil }
        var out: [FieldPath] = []
        for (i, v) in a.enumerated() {
            guard case .string(let s) = v else { throw OnrampError("config.type", "must be a field path", at: "\(at(key))[\(i)]") }
            out.append(try FieldPath(s, at: "\(at(key))[\(i)]"))
        }
        return out
    }

    /// An object of field path: column/field name strings, in the document's order.
    func names(_ key: String) throws(OnrampError) -> [(FieldPath, String)] {
        var out: [(FieldPath, String)] = []
        for (field, v) in try object(key) ?? [:] {
            guard case .string(let s) = v, !s.isEmpty else { throw OnrampError("config.type", "must be a name", at: "\(at(key)).\(field)") }
            out.append((try FieldPath(field, at: at(key)), s))
        }
        return out
    }

    func expression(_ key: String) throws(OnrampError) -> JSONata? {
        guard let v = value[key] else { return nil }
        return try StepFactory.compile(v, at(key))
    }
}
