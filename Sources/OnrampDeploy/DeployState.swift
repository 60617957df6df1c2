import OnrampCore

/// A connection as pipelines-as-code keeps it: `${secret:NAME}` references stay references.
public struct ConnectionDefinition: Sendable, Equatable {
    public var name: String
    public var connector: String
    public var config: Value

    public init(name: String, connector: String, config: Value) {
        self.name = name
        self.connector = connector
        self.config = config
    }
}

/// A template: a pipeline document with `${param:NAME}` blanks.
public struct TemplateDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    public var document: Value

    public init(name: String, description: String, document: Value) {
        self.name = name
        self.description = description
        self.document = document
    }
}

/// One schedule of a pipeline; `id` is the server's (nil in a directory) and takes no part in comparisons.
public struct ScheduleDefinition: Sendable, Equatable {
    public var id: String?
    public var cron: String
    public var timezone: String
    public var enabled: Bool

    public init(id: String? = nil, cron: String, timezone: String = "UTC", enabled: Bool = true) {
        self.id = id
        self.cron = cron
        self.timezone = timezone
        self.enabled = enabled
    }

    /// The same schedule, ids aside.
    public func sameSettings(_ other: ScheduleDefinition) -> Bool {
        cron == other.cron && timezone == other.timezone && enabled == other.enabled
    }

    /// The order schedules are written in and paired in: cron, then time zone, then enabled first.
    static func precedes(_ a: ScheduleDefinition, _ b: ScheduleDefinition) -> Bool {
        (a.cron, a.timezone, a.enabled ? 0 : 1, a.id ?? "") < (b.cron, b.timezone, b.enabled ? 0 : 1, b.id ?? "")
    }
}

/// What a tenant holds as code, on a server or in a directory: pipelines (latest document of each non-archived one)
/// by name, connections by name, templates by name, schedules by their pipeline's name.
public struct DeployState: Sendable, Equatable {
    public var pipelines: [String: Value] = [:]
    public var connections: [String: ConnectionDefinition] = [:]
    public var templates: [String: TemplateDefinition] = [:]
    public var schedules: [String: [ScheduleDefinition]] = [:]
    /// Where each item came from in a directory (`"pipeline orders"` -> `pipelines/orders.yaml`).
    public var origins: [String: String] = [:]

    public init(
        pipelines: [String: Value] = [:], connections: [String: ConnectionDefinition] = [:],
        templates: [String: TemplateDefinition] = [:], schedules: [String: [ScheduleDefinition]] = [:]
    ) {
        self.pipelines = pipelines
        self.connections = connections
        self.templates = templates
        self.schedules = schedules
    }

    /// Equal when they hold the same items; schedule ids and the order schedules were listed in do not count.
    public static func == (a: DeployState, b: DeployState) -> Bool {
        func settings(_ s: [String: [ScheduleDefinition]]) -> [String: [ScheduleDefinition]] {
            s.filter { !$0.value.isEmpty }.mapValues {
                $0.map { ScheduleDefinition(cron: $0.cron, timezone: $0.timezone, enabled: $0.enabled) }.sorted(
                    by: ScheduleDefinition.precedes)
            }
        }
        return a.pipelines == b.pipelines && a.connections == b.connections && a.templates == b.templates
            && settings(a.schedules) == settings(b.schedules)
    }
}
