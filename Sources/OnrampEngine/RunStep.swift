import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// One step of a run or a preview: a built-in step, or a transform a connector package or plugin registered
/// (`ConnectorRegistry.transforms`, by the step's key; a built-in type always wins), whose config is validated
/// against its schema. A routing step's second destination and a lookup's table source are opened here.
public final class RunStep {
    let step: (any Step)?
    let transform: (any RecordTransform)?
    let label: String
    /// The second destination of a `route` step (nil in a preview: nothing is sent).
    let routeDestination: (any Destination)?
    /// The step's optional roles, cast once (the engine asks on every batch).
    let tableStep: (any TableStep)?
    let stateful: (any StatefulStep)?
    private let routing: (any RoutingStep)?
    /// A preview's routed records, shown instead of sent.
    private(set) var routedInPreview: [Record] = []
    /// Records sent to the route's second destination, and how many of them it refused.
    private(set) var routedSent = 0
    private(set) var routedRefused = 0
    /// What the second destination was sent and answered, when it keeps a reconciliation.
    var routeReconciliation: Reconciliation? { routeDestination?.reconciliation }

    /// Builds `spec`; a plugin transform is started only on its first batch. `sending: false` (a preview) opens no
    /// second destination.
    static func make(_ spec: PipelineSpec.StepSpec, registry: ConnectorRegistry, resources: ConnectorResources,
                     scratch: String?, sending: Bool = true, batchSize: Int = 500) async throws -> RunStep {
        if let (t, config) = try transform(spec, registry: registry) {
            return RunStep(label: spec.name ?? spec.path, step: nil, transform: try t.build(config, spec.name ?? spec.path, resources),
                           route: nil)
        }
        var tables: [String: [Value]] = [:]
        if let source = try LookupTable.source(spec, resources: resources) {
            tables[spec.path] = try await LookupTable.read(source, for: spec, registry: registry, resources: resources)
        }
        let step = try StepFactory.make(spec, context: StepContext(tables: tables, scratchDirectory: scratch,
                                                                   batchSize: batchSize))
        var route: (any Destination)?
        if sending, let target = (step as? any RoutingStep)?.destination {
            route = try routeDestination(target, spec, registry: registry, resources: resources)
        }
        return RunStep(label: spec.name ?? spec.path, step: step, transform: nil, route: route)
    }

    /// A route's second destination; its errors at the step's `destination…`.
    private static func routeDestination(_ target: PipelineSpec.ConnectorRef, _ spec: PipelineSpec.StepSpec,
                                         registry: ConnectorRegistry, resources: ConnectorResources) throws -> any Destination {
        do {
            return try registry.makeDestination(target, resources: resources)
        } catch let e as OnrampError {
            throw OnrampError(e.code, e.message, at: e.location.map { "\(spec.path)." + $0 } ?? spec.path)
        }
    }

    private init(label: String, step: (any Step)?, transform: (any RecordTransform)?, route: (any Destination)?) {
        self.label = label
        self.step = step
        self.transform = transform
        routeDestination = route
        tableStep = step as? any TableStep
        stateful = step as? any StatefulStep
        routing = (step as? any RoutingStep).flatMap { $0.destination == nil ? nil : $0 }
    }

    /// Checks a step's type and config without building a plugin's process or reading a lookup's table. With
    /// `resources`, a lookup's table source and a route's destination are built (not opened) under them: their paths
    /// are checked as a run would check them.
    public static func validate(_ spec: PipelineSpec.StepSpec, registry: ConnectorRegistry,
                                resources: ConnectorResources? = nil) throws {
        if try transform(spec, registry: registry) != nil { return }
        guard StepFactory.byName[spec.type] != nil || registry.transforms.isEmpty else {
            throw OnrampError("spec.step", "unknown step type '\(spec.type)'; expected one of "
                              + (StepFactory.types + registry.transforms.keys.sorted()).joined(separator: ", "), at: spec.path)
        }
        let step = try StepFactory.make(spec, context: StepContext(validating: true))
        if let target = (step as? any RoutingStep)?.destination {
            guard registry.destinations[target.connector] != nil else {
                throw OnrampError("connector.unknown", "unknown destination connector '\(target.connector)'",
                                  at: "\(spec.path).destination.connector")
            }
            if let resources { _ = try routeDestination(target, spec, registry: registry, resources: resources) }
        }
        if let resources, let source = try LookupTable.source(spec, resources: resources) {
            try LookupTable.check(source, for: spec, registry: registry, resources: resources)
        }
    }

    /// The registered transform `spec` names, with its validated config (nil: a built-in type, which always wins).
    private static func transform(_ spec: PipelineSpec.StepSpec, registry: ConnectorRegistry) throws
        -> (TransformSpec, Value)? {
        guard StepFactory.byName[spec.type] == nil, let t = registry.transforms[spec.type] else { return nil }
        return (t, try JSONSchema.validate(spec.config, against: t.configSchema, at: spec.path))
    }

    var isIdle: Bool { step?.isIdle ?? true }

    func process(_ records: [Record], errors: inout [RecordError]) async throws -> [Record] {
        var records = records
        try await process(taking: &records, errors: &errors)
        return records
    }

    /// The step on records the caller gives up (changed in place where the step can); `records` becomes its output.
    func process(taking records: inout [Record], errors: inout [RecordError]) async throws {
        if let step {
            step.process(taking: &records, errors: &errors)
            try await afterStep(&errors)
            return
        }
        guard let transform, !records.isEmpty else { return }
        let (out, failed) = try await transform.transform(records)
        errors += failed
        records = out
    }

    /// The next records the step still holds at the end of the input; empty when it holds none.
    func finish(errors: inout [RecordError]) async throws -> [Record] {
        guard let step else { return [] }
        let out = step.finish(errors: &errors)
        try await afterStep(&errors)
        return out
    }

    /// A step's failure fails the run; routed records go to the second destination (its refusals are load errors).
    private func afterStep(_ errors: inout [RecordError]) async throws {
        if let failure = step?.failure { throw failure }
        guard let routing else { return }
        let routed = routing.takeRouted()
        guard !routed.isEmpty else { return }
        guard let routeDestination else { routedInPreview += routed; return }
        let outcomes = try await routeDestination.write(routed)
        guard outcomes.count == routed.count else {
            throw OnrampError("destination.protocol", "\(label): the destination answered \(outcomes.count) outcomes for "
                              + "\(routed.count) records")
        }
        routedSent += routed.count
        for (r, o) in zip(routed, outcomes) {
            if case .failed(let code, let message) = o {
                routedRefused += 1
                errors.append(RecordError(stage: .load, position: r.position, code: code, message: message, step: label,
                                          value: r.value))
            }
        }
    }

    func close() async throws {
        try await transform?.close()
        try await routeDestination?.close()
    }
}
