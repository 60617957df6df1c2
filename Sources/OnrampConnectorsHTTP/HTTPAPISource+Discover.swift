import Foundation
import OnrampConnectorKit
import OnrampCore

extension HTTPAPISource {
    /// One stream named after the URL's last path segment, its fields inferred from the first page's records.
    func discover() async throws -> [DiscoveredStream] {
        let page = try await fetch(firstPageURL(cursor: nil))
        let fields = Self.inferFields(page.records)
        let names = Set(fields.map(\.name))
        let name = URLComponents(string: config.url)?.path.split(separator: "/").last.map(String.init) ?? "records"
        let key = incremental.map { [$0.key] } ?? (names.contains("id") ? ["id"] : [])
        let guesses = ["updated_at", "updatedAt", "date_modified_gmt", "date_modified", "modified_at", "lastModified"]
        let cursor = incremental.map { [$0.cursorField] } ?? guesses.first(where: names.contains).map { [$0] } ?? []
        return [DiscoveredStream(name: name, kind: .resource, fields: fields, primaryKey: key, cursorField: cursor)]
    }

    /// Fields in first-seen order; a field missing or null in some record is nullable; integral numbers
    /// are `integer`, mixed types `string` with the types seen in `source_type`.
    static func inferFields(_ records: [Value]) -> [DiscoveredStream.Field] {
        var order: [String] = []
        var types: [String: Set<String>] = [:]
        var seen: [String: Int] = [:]
        var nulls: Set<String> = []
        for record in records {
            for (name, value) in record.objectValue ?? [:] {
                if types[name] == nil { order.append(name); types[name] = [] }
                seen[name, default: 0] += 1
                switch value {
                case .null: nulls.insert(name)
                case .number(let d): types[name]!.insert(d == d.rounded() && abs(d) < 1e15 ? "integer" : "number")
                default: types[name]!.insert(value.typeName)
                }
            }
        }
        return order.map { name in
            var t = types[name] ?? []
            if t == ["integer", "number"] { t = ["number"] }
            let nullable = nulls.contains(name) || seen[name, default: 0] < records.count
            let type = t.count == 1 ? t.first! : "string"
            let seen = t.count > 1 ? t.sorted().joined(separator: "|") : nil
            return DiscoveredStream.Field(name: name, type: type, sourceType: seen,
                                          nullable: nullable)
        }
    }
}
