import OnrampCore
import OnrampDeploy
import Testing

@Suite struct DeployPlanTests {
    static func pipeline(_ name: String, path: String = "orders.csv") -> Value {
        [
            "version": 1, "name": .string(name), "source": ["connector": "csv", "config": ["path": .string(path)]],
            "destination": ["connector": "file", "config": ["path": "out.ndjson"]],
        ]
    }

    static let server = DeployState(
        pipelines: ["same": pipeline("same"), "edited": pipeline("edited"), "gone": pipeline("gone")],
        connections: ["erp": ConnectionDefinition(name: "erp", connector: "csv", config: ["path": "a.csv"])],
        schedules: [
            "same": [ScheduleDefinition(id: "s1", cron: "0 6 * * *", timezone: "UTC")],
            "gone": [ScheduleDefinition(id: "s2", cron: "0 7 * * *")],
        ])

    static var directory: DeployState {
        var d = DeployState(
            pipelines: [
                "same": pipeline("same"), "edited": pipeline("edited", path: "new.csv"),
                "fresh": pipeline("fresh"),
            ],
            schedules: ["same": [ScheduleDefinition(cron: "0 6 * * *", timezone: "UTC")]])
        d.origins = ["pipeline edited": "pipelines/edited.yaml", "pipeline fresh": "pipelines/fresh.yaml"]
        return d
    }

    static func summary(_ plan: DeployPlan) -> [String] {
        plan.items.map { "\($0.action.rawValue) \($0.kind.rawValue) \($0.name)" }
    }

    @Test func createsChangesAndKeepsWhatOnlyTheServerHasWithoutPrune() throws {
        let plan = try DeployPlan.compute(server: Self.server, directory: Self.directory, prune: false)
        #expect(
            Self.summary(plan) == [
                "change pipeline edited", "create pipeline fresh", "kept schedule gone 0 7 * * * UTC",
                "kept pipeline gone", "kept connection erp",
            ])
        #expect(
            plan.changes.map(\.change) == [
                .savePipeline(PipelineDocument.canonical(Self.directory.pipelines["edited"]!)),
                .savePipeline(PipelineDocument.canonical(Self.directory.pipelines["fresh"]!)),
            ])
        #expect(!plan.isEmpty)
    }

    @Test func pruneArchivesPipelinesAndDeletesConnectionsLastAndTheArchiveTakesItsSchedules() throws {
        let plan = try DeployPlan.compute(server: Self.server, directory: Self.directory, prune: true)
        #expect(
            Self.summary(plan) == [
                "change pipeline edited", "create pipeline fresh", "delete pipeline gone",
                "delete connection erp",
            ])
        #expect(plan.changes.suffix(2).map(\.change) == [.archivePipeline("gone"), .deleteConnection("erp")])
    }

    @Test func theSameStateIsAnEmptyPlanWhateverTheTopLevelKeyOrder() throws {
        var reordered = Self.server
        guard case .object(let o) = reordered.pipelines["same"]! else {
            Issue.record("not an object")
            return
        }
        reordered.pipelines["same"] = .object(
            Value.Object(uniqueKeysWithValues: o.reversed().map { ($0.key, $0.value) }))
        let plan = try DeployPlan.compute(server: Self.server, directory: reordered, prune: false)
        #expect(plan.items.isEmpty)
        #expect(plan.isEmpty)
        #expect(plan.text(tenant: "acme") == "No changes: tenant acme on the server matches the directory.\n")
    }

    @Test func keysReorderedInsideAConfigAreAChange() throws {
        var d = Self.server
        d.pipelines["same"] = [
            "version": 1, "name": "same", "source": ["config": ["path": "orders.csv"], "connector": "csv"],
            "destination": ["connector": "file", "config": ["path": "out.ndjson"]],
        ]
        #expect(
            Self.summary(try DeployPlan.compute(server: Self.server, directory: d, prune: false)).first
                == "change pipeline same")
    }

    @Test func anEditedScheduleIsChangedInPlaceAndAnExtraOneCreated() throws {
        var d = Self.server
        d.schedules["same"] = [
            ScheduleDefinition(cron: "30 6 * * *", timezone: "UTC"),
            ScheduleDefinition(cron: "0 6 * * *", timezone: "UTC", enabled: false),
        ]
        let plan = try DeployPlan.compute(server: Self.server, directory: d, prune: false)
        #expect(
            plan.changes.map(\.change) == [
                .updateSchedule(
                    pipeline: "same", id: "s1", ScheduleDefinition(cron: "0 6 * * *", timezone: "UTC", enabled: false)),
                .createSchedule(pipeline: "same", ScheduleDefinition(cron: "30 6 * * *", timezone: "UTC")),
            ])
    }

    @Test func aRemovedScheduleIsDeletedOnlyWithPrune() throws {
        var d = Self.server
        d.schedules["same"] = []
        #expect(
            Self.summary(try DeployPlan.compute(server: Self.server, directory: d, prune: false))
                == ["kept schedule same 0 6 * * * UTC"])
        #expect(
            try DeployPlan.compute(server: Self.server, directory: d, prune: true).changes.map(\.change)
                == [.deleteSchedule(pipeline: "same", id: "s1")])
    }

    @Test func schedulesOfAPipelineThatWillNotExistAreAnErrorNamingTheFile() throws {
        var d = Self.directory
        d.schedules["nowhere"] = [ScheduleDefinition(cron: "0 1 * * *")]
        d.origins["schedules nowhere"] = "schedules/nowhere.yaml"
        let e = #expect(throws: OnrampError.self) {
            try DeployPlan.compute(server: Self.server, directory: d, prune: false)
        }
        #expect(e?.location == "schedules/nowhere.yaml")
    }

    @Test func theOrderDoesNotDependOnHowTheStatesWereBuilt() throws {
        var a = DeployState()
        var b = DeployState()
        let names = (0..<40).map { "p\($0)" }
        for n in names { a.pipelines[n] = Self.pipeline(n) }
        for n in names.reversed() { b.pipelines[n] = Self.pipeline(n) }
        let first = Self.summary(try DeployPlan.compute(server: DeployState(), directory: a, prune: false))
        #expect(first == Self.summary(try DeployPlan.compute(server: DeployState(), directory: b, prune: false)))
        #expect(first == names.sorted().map { "create pipeline \($0)" })
    }

    @Test func theTextShowsEachItemAndADiffOfTheChangedDocument() throws {
        let text = try DeployPlan.compute(server: Self.server, directory: Self.directory, prune: false).text(
            tenant: "acme")
        #expect(
            text.hasPrefix("Plan for tenant acme: 1 to create, 1 to change, 0 to delete, 3 kept (on the server only)\n")
        )
        #expect(text.contains("~ change pipeline edited (pipelines/edited.yaml): a new version\n"))
        #expect(text.contains("    -    path: orders.csv\n    +    path: new.csv\n"))
        #expect(text.contains("+ create pipeline fresh (pipelines/fresh.yaml)\n"))
        #expect(text.contains("= keep pipeline gone: on the server, not in the directory (--prune would archive it)\n"))
    }

    @Test func aChangedConnectionComesBeforeThePipelinesThatUseIt() throws {
        var d = Self.server
        d.connections["erp"]?.config = ["path": "b.csv"]
        d.pipelines["same"] = [
            "version": 1, "name": "same", "source": ["connection": "erp"],
            "destination": ["connector": "file", "config": ["path": "out.ndjson"]],
        ]
        #expect(
            Self.summary(try DeployPlan.compute(server: Self.server, directory: d, prune: false))
                == ["change connection erp", "change pipeline same"])
    }

    @Test func aTemplateChangesWithItsDescriptionOrDocumentNotWithItsTopLevelKeyOrder() throws {
        let stored = TemplateDefinition(name: "t", description: "d", document: ["version": 1, "name": "${param:NAME}"])
        let server = DeployState(templates: ["t": stored])
        var same = server
        same.templates["t"]?.document = ["name": "${param:NAME}", "version": 1]
        #expect(try DeployPlan.compute(server: server, directory: same, prune: true).items.isEmpty)
        var described = server
        described.templates["t"]?.description = "new"
        #expect(try DeployPlan.compute(server: server, directory: described, prune: true).changes.map(\.change)
                == [.putTemplate(described.templates["t"]!)])
        var added = server
        added.templates["u"] = TemplateDefinition(name: "u", description: "", document: ["version": 1])
        // Templates only on the server are never deleted (there is no route), even with --prune.
        #expect(Self.summary(try DeployPlan.compute(server: added, directory: DeployState(), prune: true)).isEmpty)
        #expect(Self.summary(try DeployPlan.compute(server: server, directory: added, prune: false)) == ["create template u"])
    }
}
