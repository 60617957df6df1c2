import Foundation
import OnrampCore

/// Where a run is in its life: queued → running → one of the finished states.
public enum RunState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded
    case succeededWithErrors = "succeeded_with_errors"
    case failed, cancelled

    public var isFinished: Bool { ![.queued, .running].contains(self) }

    public init(_ status: RunStatus) {
        switch status {
        case .succeeded: self = .succeeded
        case .succeededWithErrors: self = .succeededWithErrors
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}

/// One run of one version of a pipeline, as the queue and the history keep it.
public struct RunRecord: Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var pipelineId: String
    public var pipelineVersion: Int
    public var trigger: String
    public var fullResync: Bool
    public var state: RunState
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The worker holding the run and until when; another worker may take it over after that.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var attempts: Int
    public var cancelRequested: Bool
    /// Why each earlier attempt ended without an outcome (worker died, lease lost), oldest first.
    public var attemptErrors: [String]
    /// The run summary (counts per stage, paths, failure reason) once finished.
    public var summary: Value?
    /// For a replay (`trigger` "replay"): the run whose failed records it replays.
    public var origin: String?
    /// How far the running attempt is (`RunProgress.asValue` and `at`), as it last said; nil before its first report.
    public var progress: Value?
    /// The run's webhooks once it ended (nil before, and for runs that ended before notices were kept).
    public var notice: RunNotice?
    /// A queued run is not claimed before this (a push pipeline's batch window); nil: at once.
    public var notBefore: Date?

    /// The `trigger` of a run that replays failed records of the error queue.
    public static let replayTrigger = "replay"

    /// The fence of the attempt holding the run, if one does.
    public var fence: RunFence? { leaseOwner.map { RunFence(runId: id, worker: $0, attempt: attempts) } }

    public init(id: String, tenantId: String, pipelineId: String, pipelineVersion: Int, trigger: String, fullResync: Bool = false,
                state: RunState = .queued, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, leaseOwner: String? = nil,
                leaseExpiresAt: Date? = nil, attempts: Int = 0, cancelRequested: Bool = false, attemptErrors: [String] = [],
                summary: Value? = nil, origin: String? = nil, progress: Value? = nil, notice: RunNotice? = nil,
                notBefore: Date? = nil) {
        self.id = id
        self.tenantId = tenantId
        self.pipelineId = pipelineId
        self.pipelineVersion = pipelineVersion
        self.trigger = trigger
        self.fullResync = fullResync
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.attempts = attempts
        self.cancelRequested = cancelRequested
        self.attemptErrors = attemptErrors
        self.summary = summary
        self.origin = origin
        self.progress = progress
        self.notice = notice
        self.notBefore = notBefore
    }
}

/// A saved pipeline version: every save is a new version; runs record the version they ran.
public struct PipelineVersion: Sendable, Equatable {
    public var pipelineId: String
    public var tenantId: String
    public var name: String
    public var version: Int
    public var document: Value
    public var createdAt: Date
    /// When the pipeline (all its versions) was archived; nil while it is in use.
    public var archivedAt: Date?

    public init(pipelineId: String, tenantId: String, name: String, version: Int, document: Value, createdAt: Date,
                archivedAt: Date? = nil) {
        self.pipelineId = pipelineId
        self.tenantId = tenantId
        self.name = name
        self.version = version
        self.document = document
        self.createdAt = createdAt
        self.archivedAt = archivedAt
    }
}
