import Foundation
import OnrampCore

/// The CLI's schema baseline: the source schema of a pipeline's last successful run that read records, kept as
/// `<state>/<pipeline>.schema.json` beside its incremental state.
public struct SchemaBaselineFile: Sendable {
    public let path: String

    public init(directory: String, pipeline: String) {
        path = "\(directory)/\(pipeline).schema.json"
    }

    /// nil when there is none yet or it does not read back (then nothing is compared).
    public func load() -> ObservedSchema? {
        guard let data = FileManager.default.contents(atPath: path), let value = try? JSONParser.parse([UInt8](data)) else {
            return nil
        }
        return ObservedSchema(value: value)
    }

    /// Replaces the baseline (atomically: a kill leaves the old one or the new one); a run that read nothing
    /// (an incremental run with no new files) keeps the one before.
    public func store(_ schema: ObservedSchema) {
        guard schema.records > 0 else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? Data(JSONWriter.string(schema.asValue, pretty: true).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
