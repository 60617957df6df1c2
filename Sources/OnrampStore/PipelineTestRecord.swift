import Foundation
import OnrampCore

/// The test document stored for one pipeline version, whether runs of that version need its tests to have passed,
/// and the result of its last test run.
public struct PipelineTestRecord: Sendable, Equatable {
    public var pipelineId: String
    public var version: Int
    /// The test document (`cases:` …) as JSON.
    public var document: Value
    /// Runs of this version are refused until its last test run passed.
    public var required: Bool
    public var updatedAt: Date
    /// The last test run of this document; nil until one ran (saving the document again clears it).
    public var lastRun: PipelineTestRun?

    public init(pipelineId: String, version: Int, document: Value, required: Bool, updatedAt: Date,
                lastRun: PipelineTestRun? = nil) {
        self.pipelineId = pipelineId
        self.version = version
        self.document = document
        self.required = required
        self.updatedAt = updatedAt
        self.lastRun = lastRun
    }

    /// Whether a run of this version may start: its tests are not required, or their last run passed.
    public var allowsRuns: Bool { !required || lastRun?.passed == true }

    /// Why a run of this version may not start (nil: it may).
    public var refusal: String? {
        guard !allowsRuns else { return nil }
        return "version \(version) of this pipeline runs only once its tests pass, and "
            + (lastRun.map { "their last run failed (\($0.failed) of \($0.cases) cases)" } ?? "they have not run yet")
            + ": run them with POST …/versions/\(version)/tests/run"
    }
}

/// One test run's outcome: how many cases, how many failed, when, and each case's result as the API answered it.
public struct PipelineTestRun: Sendable, Equatable {
    public var passed: Bool
    public var cases: Int
    public var failed: Int
    public var at: Date
    public var results: Value

    public init(passed: Bool, cases: Int, failed: Int, at: Date, results: Value) {
        self.passed = passed
        self.cases = cases
        self.failed = failed
        self.at = at
        self.results = results
    }
}

public protocol PipelineTestStore: Sendable {
    /// Stores (or replaces) the tests of a pipeline version; a replaced document's last run is forgotten.
    func savePipelineTests(_ record: PipelineTestRecord) async throws
    func pipelineTests(pipelineId: String, version: Int) async throws -> PipelineTestRecord?
    /// Records a test run of the stored document; false when the version has no tests stored, or they were replaced
    /// since `documentAt` (the `updatedAt` of the document that ran).
    func recordPipelineTestRun(pipelineId: String, version: Int, documentAt: Date, run: PipelineTestRun) async throws -> Bool
}
