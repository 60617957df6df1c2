import Foundation
import OnrampCore
import OnrampEngine
import OnrampScheduler
import OnrampStore

/// The error queue's side of a run: queues the failed records of a finished run (values sealed with the keyring,
/// bound to the tenant and the entry's id), and hands a replay run the records it took. At most `maxPerRun`
/// records of one run are queued; the error report keeps them all and the summary says how many were left out.
public struct ErrorQueueService: RunErrorQueue {
    let store: any OnrampStore
    let box: SecretBox
    public var maxPerRun: Int

    public static let defaultMaxPerRun = 10_000

    public init(store: any OnrampStore, box: SecretBox, maxPerRun: Int = defaultMaxPerRun) {
        self.store = store
        self.box = box
        self.maxPerRun = maxPerRun
    }

    static func context(_ tenant: String, _ id: String) -> String { "\(tenant)/error-queue/\(id)" }

    func seal(_ value: Value, tenant: String, id: String) throws -> Data {
        try box.seal(JSONWriter.string(value), context: Self.context(tenant, id))
    }

    /// The entry's record value in clear.
    func value(of e: ErrorEntry) throws -> Value {
        let text = try box.open(e.sealedValue, context: Self.context(e.tenantId, e.id))
        return try JSONParser.parse(text)
    }

    public func replayRecords(for run: RunRecord) async throws -> [ReplayRecord] {
        let entries = try await store.errorEntries(tenantId: run.tenantId, filter: ErrorQueueFilter(state: .open, replayRunId: run.id),
                                                   limit: Int(Int32.max), after: nil)
        return try entries.filter { ErrorQueueLifecycle.replays($0, run: run.id) }.sorted { $0.id < $1.id }.map {
            ReplayRecord(stage: $0.stage, value: JSONWriter.string(try value(of: $0)), position: $0.position, step: $0.reentryStep)
        }
    }

    public func runEnded(_ run: RunRecord, state: RunState, errorsNDJSON path: String?) async throws -> Value {
        let isReplay = run.trigger == RunRecord.replayTrigger
        let replayed = isReplay
            ? try await store.errorEntries(tenantId: run.tenantId, filter: ErrorQueueFilter(state: .open, replayRunId: run.id),
                                           limit: Int(Int32.max), after: nil)
            : []
        var origins: [SourcePosition: String] = [:]
        for e in replayed.sorted(by: { $0.id < $1.id }) where origins[e.position] == nil { origins[e.position] = e.id }
        var failedAgain = Set<SourcePosition>()
        var entries: [ErrorEntry] = []
        var total = 0
        let now = Date()
        // Streamed: the report may be large; past the cap its lines are only counted (a replay's are all read).
        // Warnings are left out: their records went on.
        try Self.forEachLine(path) { index, line in
            let warning = line.count > 20 && Self.isWarning(line)
            if !warning { total += 1 }
            guard !warning, entries.count < maxPerRun || isReplay, let v = try? JSONParser.parse(line),
                  v["severity"]?.stringValue != "warning" else { return }
            let position = SourcePosition(file: v["file"]?.stringValue, line: v["line"]?.numberValue.map { Int($0) },
                                          key: v["key"]?.stringValue)
            failedAgain.insert(position)
            guard entries.count < maxPerRun else { return }
            let stage = Stage(rawValue: v["stage"]?.stringValue ?? "") ?? .transform
            let message = v["message"]?.stringValue ?? ""
            let id = ErrorEntry.id(run: run.id, index: index)
            let value = stage == .load ? v["value"] : v["source"] ?? v["value"]
            entries.append(ErrorEntry(
                id: id, tenantId: run.tenantId, runId: run.id, pipelineId: run.pipelineId, pipelineVersion: run.pipelineVersion,
                stage: stage, step: v["step"]?.stringValue, code: v["code"]?.stringValue ?? "unknown", message: message,
                field: v["field"]?.stringValue ?? Self.field(message), position: position,
                reentryStep: stage != .extract ? v["reentry_step"]?.numberValue.map { Int($0) } : nil,
                sealedValue: try seal(value ?? .null, tenant: run.tenantId, id: id),
                originId: origins[position], createdAt: now))
        }
        try await store.queueErrors(entries)
        var out: Value.Object = ["queued": .number(Double(entries.count)), "not_queued": .number(Double(total - entries.count))]
        if isReplay {
            var resolved = 0
            if state == .succeeded || state == .succeededWithErrors {
                resolved = try await store.updateErrorEntries(tenantId: run.tenantId, ids: replayed.map(\.id)) { [failedAgain] e in
                    ErrorQueueLifecycle.settle(e, run: run.id, failedAgain: failedAgain.contains(e.position), at: now)
                }.count
            }
            out["resolved"] = .number(Double(resolved))
            out["replayed"] = .number(Double(replayed.count))
        }
        return .object(out)
    }

    /// Calls `body` with each non-empty line of the file at `path` (none when there is no file) and its index.
    static func forEachLine(_ path: String?, _ body: (Int, [UInt8]) throws -> Void) throws {
        guard let path, let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var index = 0
        func flush(_ line: ArraySlice<UInt8>) throws {
            guard !line.isEmpty else { return }
            try body(index, Array(line))
            index += 1
        }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending += chunk
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try flush(pending[start..<newline])
                start = newline + 1
            }
            pending.removeSubrange(..<start)
        }
        try flush(pending[...])
    }

    /// Whether an error report line is a warning (its `severity`), without parsing the whole line.
    static func isWarning(_ line: [UInt8]) -> Bool {
        let marker = Array(#""severity":"warning""#.utf8)
        guard line.count >= marker.count else { return false }
        return (0...(line.count - marker.count)).contains { line[$0..<$0 + marker.count].elementsEqual(marker) }
    }

    /// The field a message names at its start (`transactions[3].shipTo.region: …` names `shipTo.region`).
    static func field(_ message: String) -> String? {
        guard let colon = message.range(of: ": ") else { return nil }
        var path = Substring(message[..<colon.lowerBound])
        guard !path.isEmpty, path.allSatisfy({ $0.isLetter || $0.isNumber || "_.[]-$".contains($0) }) else { return nil }
        if path.hasPrefix("transactions["), let dot = path.firstIndex(of: "."), path[..<dot].hasSuffix("]") {
            path = path[path.index(after: dot)...]
        }
        return path.isEmpty ? nil : String(path)
    }
}
