import Foundation
import OnrampConnectorKit
import Testing

/// docs/connectors.md shows every connector, with the config table its spec generates today.
@Suite struct ConnectorDocsTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/connectors.md")

    @Test func everyConnectorHasASectionWithItsCurrentConfigTable() throws {
        let text = try String(contentsOf: Self.docs, encoding: .utf8)
        let registry = TestRegistry.shipped
        for entry in registry.catalog {
            let name = entry["name"]?.stringValue ?? ""
            let marker = entry["kind"] == "destination" && registry.sources[name] != nil ? "destination/\(name)" : name
            #expect(text.contains("<!-- config:\(marker) -->"), "docs/connectors.md has no config table for \(marker)")
        }
        #expect(TestRegistry.shipped.updatingConfigTables(in: text) == text,
                "docs/connectors.md is out of date: run `onramp connectors --update-docs docs/connectors.md`")
    }

    @Test func theSDKGuideShowsTheExampleConnectorsCurrentTable() throws {
        let url = Self.docs.deletingLastPathComponent().appendingPathComponent("connector-sdk.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("<!-- config:fixed_width -->"))
        let updated = TestRegistry.all.updatingConfigTables(in: text)
        // ONRAMP_UPDATE_DOCS=1 swift test --filter ConnectorDocsTests rewrites the table.
        if updated != text, ProcessInfo.processInfo.environment["ONRAMP_UPDATE_DOCS"] == "1" {
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(updated == text, "docs/connector-sdk.md's table is out of date")
    }
}
