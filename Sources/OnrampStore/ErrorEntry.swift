import Foundation
import OnrampCore

/// Where a queued failed record stands: `open` until a replay delivers it (`resolved`) or someone sets it aside (`ignored`).
public enum ErrorEntryState: String, Sendable, CaseIterable {
    case open, resolved, ignored
}

/// One failed record of a server run in its tenant's error queue. The record's value (the source record for
/// extract/transform errors, the mapped record for load errors) is tenant data: kept sealed in `sealedValue`.
public struct ErrorEntry: Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var runId: String
    public var pipelineId: String
    public var pipelineVersion: Int
    public var stage: Stage
    public var step: String?
    public var code: String
    public var message: String
    /// The field the error names (`shipTo.region`), when it names one.
    public var field: String?
    public var position: SourcePosition
    /// The step (index) a replay re-enters at: set for a record that failed after a step that merges records.
    public var reentryStep: Int?
    public var sealedValue: Data
    public var state: ErrorEntryState
    /// The replay run that last took this entry (it resolves it when the record gets through).
    public var replayRunId: String?
    /// The entry this one failed again for, when it came from a replay.
    public var originId: String?
    /// Who edited the value last, and when.
    public var editedBy: String?
    public var editedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, tenantId: String, runId: String, pipelineId: String, pipelineVersion: Int, stage: Stage,
                step: String?, code: String, message: String, field: String?, position: SourcePosition, reentryStep: Int? = nil,
                sealedValue: Data,
                state: ErrorEntryState = .open, replayRunId: String? = nil, originId: String? = nil, editedBy: String? = nil,
                editedAt: Date? = nil, createdAt: Date, updatedAt: Date? = nil) {
        self.id = id
        self.tenantId = tenantId
        self.runId = runId
        self.pipelineId = pipelineId
        self.pipelineVersion = pipelineVersion
        self.stage = stage
        self.step = step
        self.code = code
        self.message = message
        self.field = field
        self.position = position
        self.reentryStep = reentryStep
        self.sealedValue = sealedValue
        self.state = state
        self.replayRunId = replayRunId
        self.originId = originId
        self.editedBy = editedBy
        self.editedAt = editedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The id of the `index`th record (from 0) of a run's error report: the same on every attempt that queues it.
    public static func id(run: String, index: Int) -> String {
        let digits = String(index)
        return "\(run)-e" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }
}

/// Which entries a list, a grouped view or a replay takes (nil: any).
public struct ErrorQueueFilter: Sendable, Equatable {
    public var runId: String?
    public var pipelineId: String?
    public var state: ErrorEntryState?
    public var code: String?
    public var step: String?
    public var replayRunId: String?
    public var ids: [String]?
    /// Entries whose message, code, field or step holds this text, ASCII letters in any case (as every backend's
    /// `lower()` folds them).
    public var search: String?

    public init(runId: String? = nil, pipelineId: String? = nil, state: ErrorEntryState? = nil, code: String? = nil,
                step: String? = nil, replayRunId: String? = nil, ids: [String]? = nil, search: String? = nil) {
        self.runId = runId
        self.pipelineId = pipelineId
        self.state = state
        self.code = code
        self.step = step
        self.replayRunId = replayRunId
        self.ids = ids
        self.search = search
    }

    public func matches(_ e: ErrorEntry) -> Bool {
        (runId == nil || e.runId == runId) && (pipelineId == nil || e.pipelineId == pipelineId)
            && (state == nil || e.state == state) && (code == nil || e.code == code) && (step == nil || e.step == step)
            && (replayRunId == nil || e.replayRunId == replayRunId) && (ids.map { $0.contains(e.id) } ?? true)
            && (search.map { text in
                let needle = Self.asciiLower(text)
                return needle.isEmpty || [e.message, e.code, e.field ?? "", e.step ?? ""].contains {
                    Self.contains(Self.asciiLower($0), needle)
                }
            } ?? true)
    }

    /// The UTF-8 bytes of `text` with A-Z as a-z: what SQLite's and PostgreSQL's `lower()` do under "C".
    static func asciiLower(_ text: String) -> [UInt8] {
        text.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }
    }

    /// Whether `needle`'s bytes appear in `haystack`'s (as `instr`/`strpos` compare: no Unicode equivalence).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

/// How many entries share a code, a step and a field ("312 × taxman.InvalidAddress at shipTo.region").
public struct ErrorGroup: Sendable, Equatable {
    public var code: String
    public var step: String?
    public var field: String?
    public var count: Int

    public init(code: String, step: String?, field: String?, count: Int) {
        self.code = code
        self.step = step
        self.field = field
        self.count = count
    }

    /// Largest groups first, then by code, step and field.
    public static func ordered(_ a: ErrorGroup, _ b: ErrorGroup) -> Bool {
        if a.count != b.count { return a.count > b.count }
        return (a.code, a.step ?? "", a.field ?? "") < (b.code, b.step ?? "", b.field ?? "")
    }

    /// Counts `entries` by code, step and field.
    public static func count(_ entries: [ErrorEntry]) -> [ErrorGroup] {
        var counts: [String: ErrorGroup] = [:]
        for e in entries {
            let key = "\(e.code)\u{0}\(e.step ?? "\u{1}")\u{0}\(e.field ?? "\u{1}")"
            counts[key, default: ErrorGroup(code: e.code, step: e.step, field: e.field, count: 0)].count += 1
        }
        return counts.values.sorted(by: ordered)
    }
}

/// The error queue of every tenant. Every change of an entry's state is an `ErrorQueueLifecycle` transition.
public protocol ErrorQueueStore: Sendable {
    /// Adds entries; an id that exists already is left as it is (an attempt queued again after a crash adds nothing).
    func queueErrors(_ entries: [ErrorEntry]) async throws
    func errorEntry(id: String) async throws -> ErrorEntry?
    /// The tenant's entries matching `filter`, newest first by (created_at, id): the page after `cursor`.
    func errorEntries(tenantId: String, filter: ErrorQueueFilter, limit: Int, after cursor: PageCursor?) async throws -> [ErrorEntry]
    /// The tenant's entries matching `filter`, counted by code, step and field; largest first.
    func errorGroups(tenantId: String, filter: ErrorQueueFilter) async throws -> [ErrorGroup]
    /// Applies `change` to each of the tenant's entries `ids` in one transaction (nil: left as it is); returns the changed.
    func updateErrorEntries(tenantId: String, ids: [String], _ change: @escaping @Sendable (ErrorEntry) -> ErrorEntry?)
        async throws -> [ErrorEntry]
}
