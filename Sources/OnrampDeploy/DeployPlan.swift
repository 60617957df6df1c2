import OnrampCore

/// What `onramp push` would do to make a server hold a directory: a pure function of the two states.
/// Items come in the order they are applied: connections, templates, pipelines, schedules, then what goes away
/// (schedules, pipelines archived, connections), each group by name. Nothing on the server is removed
/// unless `prune` is set: without it such items are listed as `kept`.
public struct DeployPlan: Sendable {
    public enum Action: String, Sendable { case create, change, delete, kept }
    public enum Kind: String, Sendable { case connection, template, pipeline, schedule }

    /// One request of the apply.
    public enum Change: Sendable, Equatable {
        case putConnection(ConnectionDefinition)
        case putTemplate(TemplateDefinition)
        case savePipeline(Value)
        case createSchedule(pipeline: String, ScheduleDefinition)
        case updateSchedule(pipeline: String, id: String, ScheduleDefinition)
        case deleteSchedule(pipeline: String, id: String)
        case archivePipeline(String)
        case deleteConnection(String)
    }

    public struct Item: Sendable {
        public var action: Action
        public var kind: Kind
        /// The item's name; for a schedule its pipeline's name and its cron and time zone.
        public var name: String
        /// The directory's file it comes from (nil for what is only on the server).
        public var file: String?
        /// The document on the server and in the directory, as written (empty where there is none), for the diff.
        public var before: String
        public var after: String
        /// What to send; nil for `kept`.
        public var change: Change?
    }

    public var items: [Item]

    /// Nothing to apply (items kept without --prune aside).
    public var isEmpty: Bool { items.allSatisfy { $0.action == .kept } }
    public var changes: [Item] { items.filter { $0.change != nil } }

    public static func compute(server: DeployState, directory: DeployState, prune: Bool) throws -> DeployPlan {
        var items: [Item] = []
        func origin(_ key: String) -> String? { directory.origins[key] }
        func put(_ kind: Kind, _ name: String, before: String?, after: String, _ change: Change) {
            items.append(
                Item(
                    action: before == nil ? .create : .change, kind: kind, name: name,
                    file: origin("\(kind.rawValue) \(name)"), before: before ?? "", after: after, change: change))
        }
        for name in directory.connections.keys.sorted() {
            let mine = directory.connections[name]!
            let theirs = server.connections[name]
            guard theirs != mine else { continue }
            put(.connection, name, before: try theirs.map(DeployLayout.text), after: try DeployLayout.text(mine),
                .putConnection(mine))
        }
        for name in directory.templates.keys.sorted() {
            let mine = directory.templates[name]!
            let theirs = server.templates[name]
            if let theirs, theirs.description == mine.description,
                PipelineDocument.canonical(theirs.document) == PipelineDocument.canonical(mine.document)
            {
                continue
            }
            put(.template, name, before: try theirs.map(DeployLayout.text), after: try DeployLayout.text(mine),
                .putTemplate(mine))
        }
        for name in directory.pipelines.keys.sorted() {
            let mine = PipelineDocument.canonical(directory.pipelines[name]!)
            let theirs = server.pipelines[name].map(PipelineDocument.canonical)
            guard theirs != mine else { continue }
            put(.pipeline, name, before: try theirs.map { try DeployLayout.text(pipeline: $0, name: name) },
                after: try DeployLayout.text(pipeline: mine, name: name), .savePipeline(mine))
        }
        var removals: [Item] = []
        var pipelinesAfter = Set(directory.pipelines.keys)
        if !prune { pipelinesAfter.formUnion(server.pipelines.keys) }
        for pipeline in Set(directory.schedules.keys).union(server.schedules.keys).sorted() {
            let file = origin("schedules \(pipeline)")
            if directory.schedules[pipeline] != nil, !pipelinesAfter.contains(pipeline) {
                throw OnrampError(
                    "deploy.schedule",
                    "the schedules are for pipeline \(pipeline), which is not in pipelines/"
                        + (server.pipelines[pipeline] == nil ? " nor on the server" : " and is archived by --prune"),
                    at: file ?? "schedules")
            }
            // A pipeline archived by --prune takes its schedules with it.
            if directory.pipelines[pipeline] == nil && prune { continue }
            let (changes, gone) = pair(
                server.schedules[pipeline] ?? [], directory.schedules[pipeline] ?? [], pipeline: pipeline,
                file: file)
            items += changes
            removals += gone.map { s in
                Item(
                    action: prune ? .delete : .kept, kind: .schedule, name: "\(pipeline) \(s.cron) \(s.timezone)",
                    file: nil,
                    before: describe(s), after: "",
                    change: prune ? .deleteSchedule(pipeline: pipeline, id: s.id ?? "") : nil)
            }
        }
        for name in server.pipelines.keys.sorted() where directory.pipelines[name] == nil {
            removals.append(
                Item(
                    action: prune ? .delete : .kept, kind: .pipeline, name: name, file: nil,
                    before: try DeployLayout.text(pipeline: server.pipelines[name]!, name: name), after: "",
                    change: prune ? .archivePipeline(name) : nil))
        }
        for name in server.connections.keys.sorted() where directory.connections[name] == nil {
            removals.append(
                Item(
                    action: prune ? .delete : .kept, kind: .connection, name: name, file: nil,
                    before: try DeployLayout.text(server.connections[name]!), after: "",
                    change: prune ? .deleteConnection(name) : nil))
        }
        return DeployPlan(items: items + removals)
    }

    static func describe(_ s: ScheduleDefinition) -> String {
        "cron: \(s.cron)\ntimezone: \(s.timezone)\nenabled: \(s.enabled)\n"
    }

    /// Pairs a pipeline's schedules on the server with the directory's: identical ones first, then those with the
    /// same cron and time zone, then the rest in order (changed in place); what is left is created or removed.
    static func pair(
        _ server: [ScheduleDefinition], _ directory: [ScheduleDefinition], pipeline: String, file: String?
    )
        -> ([Item], [ScheduleDefinition])
    {
        var theirs = server.sorted(by: ScheduleDefinition.precedes)
        var mine = directory.sorted(by: ScheduleDefinition.precedes)
        var items: [Item] = []
        let matchers: [(ScheduleDefinition, ScheduleDefinition) -> Bool] = [
            { a, b in a.sameSettings(b) }, { a, b in a.cron == b.cron && a.timezone == b.timezone }, { _, _ in true },
        ]
        for match in matchers {
            var i = 0
            while i < mine.count {
                guard let j = theirs.firstIndex(where: { match($0, mine[i]) }) else {
                    i += 1
                    continue
                }
                let old = theirs.remove(at: j)
                let new = mine.remove(at: i)
                guard !old.sameSettings(new) else { continue }
                items.append(
                    Item(
                        action: .change, kind: .schedule, name: "\(pipeline) \(new.cron) \(new.timezone)", file: file,
                        before: describe(old), after: describe(new),
                        change: .updateSchedule(pipeline: pipeline, id: old.id ?? "", new)))
            }
        }
        items += mine.map {
            Item(
                action: .create, kind: .schedule, name: "\(pipeline) \($0.cron) \($0.timezone)", file: file, before: "",
                after: describe($0), change: .createSchedule(pipeline: pipeline, $0))
        }
        return (items, theirs)
    }
}
