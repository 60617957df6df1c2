import Foundation
import OnrampCore

/// A JSON file per pipeline in a directory (CLI runs). Written atomically: a crash leaves the old one.
public struct FileCheckpointStore: CheckpointStore {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    func path(_ pipeline: String) -> String { "\(directory)/\(pipeline).checkpoint.json" }

    public func load(pipeline: String) async throws -> Value? {
        guard let data = FileManager.default.contents(atPath: path(pipeline)) else { return nil }
        return try JSONParser.parse([UInt8](data))
    }

    public func commit(pipeline: String, checkpoint: Value) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(JSONWriter.string(checkpoint).utf8).write(to: URL(fileURLWithPath: path(pipeline)), options: .atomic)
    }

    public func reset(pipeline: String) async throws {
        try? FileManager.default.removeItem(atPath: path(pipeline))
    }
}
