import Foundation
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// What the binary carries so that it works from any directory is the same as its source files.
@Suite struct BundledContentTests {
    /// The rates compiled into the binary are the contract's.
    @Test func theCompiledRatesAreTheContracts() throws {
        let contract = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/taxman/rates.json")
        let text = try String(contentsOf: contract, encoding: .utf8)
        #expect(try JSONParser.parse(text) == JSONParser.parse(SandboxRates.json),
                "Sources/OnrampTaxmanSandbox/SandboxRates.swift differs from ../shared/taxman/rates.json")
    }

    /// The demo's pipeline compiled into the binary is examples/acme-orders.yaml.
    @Test func theBuiltInDemoPipelineIsTheExample() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/acme-orders.yaml")
        #expect(try String(contentsOf: example, encoding: .utf8).trimmingCharacters(in: .newlines) == BundledPipelines.acmeOrders,
                "Sources/OnrampEngine/Templates/BundledPipelines.swift differs from examples/acme-orders.yaml")
    }
}
