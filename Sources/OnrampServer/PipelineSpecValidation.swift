import Foundation
import OnrampCore
import OnrampEngine
import OnrampTransforms

/// Pipeline validation for the API: `${env:…}` references are checked for shape, not resolved.
enum PipelineSpecValidation {
    static func spec(_ document: Value) throws -> PipelineSpec {
        var placeholders: [String: String] = [:]
        collectEnv(document, into: &placeholders)
        return try PipelineLoader.spec(from: document, environment: placeholders)
    }

    static func steps(_ spec: PipelineSpec) throws {
        for s in spec.steps { _ = try StepFactory.make(s) }
    }

    /// Every `${env:NAME}` gets a stand-in value, so validation does not depend on the server's environment.
    private static func collectEnv(_ v: Value, into names: inout [String: String]) {
        switch v {
        case .string(let s):
            var rest = Substring(s)
            while let r = rest.range(of: "${env:"), let close = rest[r.upperBound...].firstIndex(of: "}") {
                names[String(rest[r.upperBound..<close])] = "env-placeholder"
                rest = rest[rest.index(after: close)...]
            }
        case .array(let a): for x in a { collectEnv(x, into: &names) }
        case .object(let o): for (_, x) in o { collectEnv(x, into: &names) }
        default: break
        }
    }
}
