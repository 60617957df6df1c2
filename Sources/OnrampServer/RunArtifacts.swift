import Foundation
import OnrampCore
import OnrampStore

/// A run's artifacts at rest: each output is sealed beside the run's files; with an object store the sealed file
/// then moves there (and leaves the worker's disk), and downloads on any server read it from there.
public struct RunArtifacts: Sendable {
    public let sealer: ArtifactSealer
    public let objects: (any ArtifactStore)?

    public init(sealer: ArtifactSealer, objects: (any ArtifactStore)? = nil) {
        self.sealer = sealer
        self.objects = objects
    }

    /// Seals the output `key` of `run`'s `attempt` at `path` (nothing when there is no such file) and stores it.
    /// When the object store refuses, the sealed file stays beside the run's files and the error is thrown.
    public func seal(run: String, attempt: Int, key: String, path: String) async throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try sealer.seal(path: path, context: "\(run)/\(key)")
        guard let objects else { return }
        try await objects.put(artifactName(run: run, attempt: attempt, key: key), file: path + ".sealed")
        try FileManager.default.removeItem(atPath: path + ".sealed")
    }

    /// The output `key` of `run`'s `attempt` (the one that ended it) recorded at `path`, opened for reading: the
    /// sealed file there, else the object store's (fetched into a temporary file that is unlinked once open); nil
    /// when neither has it. A sealed artifact that does not open throws (`artifact.key`, `.damaged`, `.format`).
    public func reader(run: String, attempt: Int, key: String, path: String) async throws -> ArtifactReader? {
        let context = "\(run)/\(key)"
        if FileManager.default.fileExists(atPath: path + ".sealed") {
            // Gone between the look and the open (the worker moved it to the object store): read it from there.
            do { return try sealer.reader(path: path + ".sealed", context: context) } catch let e as OnrampError
                where e.code == "artifact.read" && objects != nil {}
        }
        guard let objects else { return nil }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-artifact-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard try await objects.get(artifactName(run: run, attempt: attempt, key: key), to: scratch) else { return nil }
        return try sealer.reader(path: scratch, context: context)
    }
}
