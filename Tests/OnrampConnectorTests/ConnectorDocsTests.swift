import Foundation
import OnrampConnectorKit
import Testing

/// docs/connectors.md shows every connector, with the config table its spec generates today.
@Suite struct ConnectorDocsTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/connectors.md")

    @Test func everyConnectorHasASectionWithItsCurrentConfigTable() throws {
        let text = try String(contentsOf: Self.docs, encoding: .utf8)
        for name in TestRegistry.all.catalog.compactMap({ $0["name"]?.stringValue }) {
            #expect(text.contains("<!-- config:\(name) -->"), "docs/connectors.md has no config table for \(name)")
        }
        #expect(TestRegistry.all.updatingConfigTables(in: text) == text,
                "docs/connectors.md is out of date: run `onramp connectors --update-docs docs/connectors.md`")
    }
}
