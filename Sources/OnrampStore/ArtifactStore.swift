/// Where run artifacts live once sealed, when not (only) in the data directory: an object store every server and
/// worker reaches, so a download needs no shared disk. Names are `artifactName(run:attempt:key:)`; `put` replaces.
public protocol ArtifactStore: Sendable {
    /// Stores the file at `path` under `name`.
    func put(_ name: String, file path: String) async throws
    /// Writes the object `name` to a new file at `path`; false (and no file) when there is none.
    func get(_ name: String, to path: String) async throws -> Bool
    /// Removes the object `name` (nothing when there is none).
    func delete(_ name: String) async throws
    /// Answers when the store is there and these credentials reach it; else an error saying what is wrong.
    func check() async throws
    /// Where the objects are, for logs and errors (`s3://bucket/prefix`).
    var location: String { get }
}

/// The name of a run attempt's sealed artifact in an `ArtifactStore`: `runs/RUN/ATTEMPT/KEY.sealed`, KEY without
/// `_path` (`results`, `errors_csv`, `log`, …). Per attempt: a worker that lost its lease and uploads late cannot
/// replace what the attempt that ended the run stored.
public func artifactName(run: String, attempt: Int, key: String) -> String {
    "runs/\(run)/\(attempt)/\(key.hasSuffix("_path") ? String(key.dropLast(5)) : key).sealed"
}
