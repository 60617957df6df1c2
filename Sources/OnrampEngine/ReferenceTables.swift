import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// A tenant's reference tables, in its file area: `reference-tables/<name>/v<N>.csv`, one file per version, never
/// changed once written (a new upload is a new version). Lookups use the latest unless they name a version.
public enum ReferenceTables {
    /// Lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 63.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, (first >= 97 && first <= 122) || (first >= 48 && first <= 57)
        else { return false }
        return name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
    }

    /// The versions of `name`, oldest first (none: no such table).
    public static func versions(_ name: String, in resources: ConnectorResources) throws -> [Int] {
        guard isValidName(name) else {
            throw OnrampError("reference.name", "'\(name.prefix(80))' is not a reference table name (a-z, 0-9, - and _)")
        }
        let folder = try resources.resolve(StepFactory.referenceFolder(name), field: "table.reference")
        return versions(inFolder: folder)
    }

    /// The `v<N>.csv` versions in a folder, sorted.
    public static func versions(inFolder folder: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { n -> Int? in
            guard n.hasPrefix("v"), n.hasSuffix(".csv"), let v = Int(n.dropFirst().dropLast(4)), v > 0, v < 1_000_000
            else { return nil }
            return v
        }.sorted()
    }
}
