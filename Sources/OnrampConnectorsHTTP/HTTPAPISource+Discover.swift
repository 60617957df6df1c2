import Foundation
import OnrampConnectorKit
import OnrampCore

extension HTTPAPISource {
    /// One stream named after the URL's last path segment, its fields inferred from the first page's records.
    func discover() async throws -> [DiscoveredStream] {
        let page = try await fetch(firstPageURL(cursor: nil))
        let fields = DiscoveredStream.fields(of: page.records)
        let names = Set(fields.map(\.name))
        let name = URLComponents(string: config.url)?.path.split(separator: "/").last.map(String.init) ?? "records"
        let key = incremental.map { [$0.key] } ?? (names.contains("id") ? ["id"] : [])
        let guesses = ["updated_at", "updatedAt", "date_modified_gmt", "date_modified", "modified_at", "lastModified"]
        let cursor = incremental.map { [$0.cursorField] } ?? guesses.first(where: names.contains).map { [$0] } ?? []
        return [DiscoveredStream(name: name, kind: .resource, fields: fields, primaryKey: key, cursorField: cursor)]
    }
}
