/// Where a pipeline's incremental cursor is kept between runs (a file for CLI runs, the store for the server).
public protocol CheckpointStore: Sendable {
    func load(pipeline: String) async throws -> Value?
    func commit(pipeline: String, checkpoint: Value) async throws
    func reset(pipeline: String) async throws
}
