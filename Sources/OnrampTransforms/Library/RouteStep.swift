import OnrampCore
import OnrampExpression

/// `route`: records for which `when` is true leave the main flow: to a second destination (`destination`), or to
/// the error report as error records with `code`. The others go on.
final class RouteStep: Step {
    let when: JSONata
    let code: String?
    let message: String
    let target: PipelineSpec.ConnectorRef?
    let label: String
    let functions: JSONata.FunctionRegistry
    private var routed: [Record] = []

    init(_ c: StepConfig, label: String, functions: JSONata.FunctionRegistry) throws(OnrampError) {
        guard let when = try c.expression("when") else { throw OnrampError("config.missing", "required key is missing", at: c.at("when")) }
        self.when = when
        code = try c.string("code")
        message = try c.string("message") ?? "routed out: \(when.source)"
        if let d = try c.object("destination") {
            guard case .string(let connector)? = d["connector"] else {
                throw OnrampError("config.missing", "required key is missing", at: "\(c.at("destination")).connector")
            }
            target = PipelineSpec.ConnectorRef(connector: connector, config: d["config"] ?? .object([:]), incremental: nil)
        } else {
            target = nil
        }
        guard (code == nil) != (target == nil) else {
            throw OnrampError("config.route", "give either `destination` (a second destination) or `code` (an error record)",
                              at: c.path)
        }
        if let code, code.isEmpty || code.contains(where: { !($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            throw OnrampError("config.code", "a code is letters, digits, '.', '_' or '-'", at: c.at("code"))
        }
        self.label = label
        self.functions = functions
    }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        var out: [Record] = []
        for r in records {
            do throws(JSONataError) {
                guard try when.evaluate(r.value, functions: functions) == .bool(true) else { out.append(r); continue }
            } catch {
                errors.append(StepFactory.evaluationError(error, r, label))
                continue
            }
            if let code {
                errors.append(RecordError(stage: .transform, position: r.position, code: code, message: message, step: label,
                                          value: r.value))
            } else {
                routed.append(r)
            }
        }
        return out
    }
}

extension RouteStep: RoutingStep {
    var destination: PipelineSpec.ConnectorRef? { target }

    func takeRouted() -> [Record] {
        defer { routed = [] }
        return routed
    }
}

extension RouteStep {
    static let spec = StepSpec(
        name: "route",
        summary: "Sends the records matching a predicate to a second destination, or to the error report with a code.",
        configSchema: Schema.object([
            "when": Schema.expression("When", "A JSONata predicate: true sends the record away from the main flow"),
            "destination": ["type": "object", "title": "Destination",
                            "description": "A second destination for these records: {connector, config}",
                            "required": ["connector"]],
            "code": Schema.string("Error code", "Instead of a destination: these records are error records with this code"),
            "message": Schema.string("Message", "The error records' message"),
        ], required: ["when"]),
        example: """
        - route:
            when: "country != 'US'"
            destination: {connector: file, config: {path: out/non-us.ndjson}}
        """,
        build: { config, spec, context in
            try RouteStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path, functions: context.functions)
        })
}
