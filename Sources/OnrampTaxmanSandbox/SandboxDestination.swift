import OnrampConnectorKit
import OnrampCore

/// `taxman_sandbox`: calculates each record as the TAXMAN sandbox would, in this process, with no network: what a
/// dry run sends a preview's transactions to, and a destination for trying a pipeline with no TAXMAN at all. A
/// transaction the rules refuse is a load error with TAXMAN's code and field.
struct SandboxDestination: Destination {
    let calculator: TaxCalculator
    let ledger = ReconciliationLedger()

    var reconciliation: Reconciliation? { ledger.current }

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        let outcomes: [RecordOutcome] = records.enumerated().map { i, r in
            do throws(TaxCalculator.Rejection) {
                return .ok(result: try calculator.calculate(r.value, calculationId: "sandbox_\(i + 1)"))
            } catch {
                return .failed(code: "taxman.\(error.code)", message: (error.field.map { "\($0): " } ?? "") + error.message)
            }
        }
        ledger.add(records, outcomes)
        return outcomes
    }

    func check() async throws -> ConnectorCheck {
        ConnectorCheck(message: "the in-process TAXMAN sandbox calculates with its bundled rates")
    }
}

/// The sandbox as a destination, for the composition root to register (and to name as the dry-run target).
public enum SandboxConnectors {
    public static let destination = PipelineSpec.ConnectorRef(connector: "taxman_sandbox", config: .object([:]),
                                                              incremental: nil)

    public static func register(into registry: inout ConnectorRegistry) {
        registry.register(DestinationSpec(
            name: "taxman_sandbox",
            summary: "Calculates tax in process as the TAXMAN sandbox does (bundled rates, no network): dry runs and trials.",
            configSchema: ["type": "object", "additionalProperties": false, "properties": [:]],
            build: { _, _ in SandboxDestination(calculator: try TaxCalculator.bundled()) }))
        registry.dryRunDestination = destination
    }
}
