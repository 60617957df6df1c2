import OnrampCore

/// What a pipeline the platform gives an edge agent may be (checked by the platform when it is given, and by the agent
/// before it runs it): everything it makes goes to the agent's spool and from there to the server the agent enrolled
/// with. So its destination, and every route step's, is `onramp_push` with no settings; it writes no results or
/// error files of its own (the agent keeps its runs' reports in the spool) and sends no webhook from the customer's
/// machine.
public enum AgentPipelineRules {
    public static let destination = "onramp_push"

    public static func check(_ spec: PipelineSpec) throws {
        try checkPush(spec.destination.connector, spec.destination.config, at: "destination")
        for step in spec.steps where step.type == "route" {
            guard let side = step.config["destination"] else { continue }
            try checkPush(side["connector"]?.stringValue ?? "", side["config"] ?? [:], at: "\(step.path).destination")
        }
        if spec.results.path != nil {
            throw OnrampError("agent.output", "an agent's pipeline writes no results file: its records go to the platform",
                              at: "results.path")
        }
        if spec.errors.path != nil {
            throw OnrampError("agent.output", "an agent's pipeline writes no error file of its own (the agent keeps each "
                              + "run's report in its spool)", at: "errors.path")
        }
        if spec.notify != nil {
            throw OnrampError("agent.output", "an agent's pipeline sends no webhook from the customer's machine: the "
                              + "platform's runs of the push pipeline do", at: "notify")
        }
    }

    static func checkPush(_ connector: String, _ config: Value, at path: String) throws {
        guard connector == destination else {
            throw OnrampError("agent.destination", "an agent's pipeline writes to onramp_push (its spool, pushed to the "
                              + "platform), not \(connector)", at: "\(path).connector")
        }
        guard config.objectValue?.isEmpty ?? true else {
            throw OnrampError("agent.destination", "an agent pushes to the server it enrolled with, with its own key: "
                              + "onramp_push takes no settings here", at: "\(path).config")
        }
    }
}
