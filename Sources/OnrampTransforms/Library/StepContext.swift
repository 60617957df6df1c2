import OnrampCore
import OnrampExpression

/// What a step may use besides its config: the expression functions, the rows of lookup tables the engine loaded
/// for it, and a scratch directory for steps that spill to disk.
public struct StepContext: Sendable {
    public var functions: JSONata.FunctionRegistry
    /// Lookup tables' rows by step path (`steps[2].lookup`), read by the engine from the table's source.
    public var tables: [String: [Value]]
    /// Where `sort` spills its runs; removed when the step ends. Nil: the system's temporary directory.
    public var scratchDirectory: String?
    /// Only checking a document: tables are not loaded, so a lookup without its rows is not an error.
    public var validating: Bool
    /// The pipeline's batch size: how many records a step that holds many (`aggregate`) gives at a time at the end.
    public var batchSize: Int

    public init(functions: JSONata.FunctionRegistry = CleansingFunctions.registry, tables: [String: [Value]] = [:],
                scratchDirectory: String? = nil, validating: Bool = false, batchSize: Int = 500) {
        self.functions = functions
        self.tables = tables
        self.scratchDirectory = scratchDirectory
        self.validating = validating
        self.batchSize = max(1, batchSize)
    }
}

/// A step that sends some records elsewhere than the main flow: to a second destination.
public protocol RoutingStep: Step {
    /// The destination routed records go to; nil when this step routes none.
    var destination: PipelineSpec.ConnectorRef? { get }
    /// The records routed since the last call, in input order.
    func takeRouted() -> [Record]
}

/// A step that remembers something across runs of its pipeline (`dedupe` with `scope: pipeline`): the engine
/// restores the state before the first batch and stores it whenever it commits the source's checkpoint.
public protocol StatefulStep: Step {
    func restore(_ state: Value) throws
    /// The state to store now: only what describes records the destination already acknowledged (the engine asks
    /// when it commits: every record before is delivered or failed).
    func snapshot() -> Value
    /// Records from these source positions failed after this step (a later step's error, a destination's refusal):
    /// what the step remembered of them since the last snapshot is forgotten.
    func forget(_ positions: Set<SourcePosition>)
}

extension StatefulStep {
    public func forget(_ positions: Set<SourcePosition>) {}
}
