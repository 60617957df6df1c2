import Foundation
import OnrampCore

/// `sort`: the run's records in the order of `by` (`field` ascending, `-field` descending; ties keep input order).
/// At most `max_in_memory` records are held: past that, sorted runs spill to files in the scratch directory and are
/// merged at the end (a heap over at most `fanIn` open runs; more runs are merged into fewer first), so memory and
/// open files stay bounded whatever the input size. The records come out when the input ends.
final class SortStep: Step {
    struct Entry {
        let seq: Int
        let position: SourcePosition
        let value: Value
    }

    let by: [(field: FieldPath, descending: Bool)]
    let maxInMemory: Int
    let label: String
    let scratchRoot: String?
    static let chunk = 5_000
    /// The most runs merged at once (each an open file).
    static let fanIn = 64
    private var buffer: [Entry] = []
    private var seq = 0
    private var runs: [SortRun] = []
    private var runFiles = 0
    private var merge: SortMerge?
    private var merging = false
    private var directory: String?
    private(set) var failure: OnrampError?

    init(_ c: StepConfig, label: String, scratch: String?) throws(OnrampError) {
        var by: [(FieldPath, Bool)] = []
        for (i, v) in (try c.array("by") ?? []).enumerated() {
            guard case .string(var s) = v else { throw OnrampError("config.type", "must be a field path", at: "\(c.at("by"))[\(i)]") }
            let descending = s.hasPrefix("-")
            if descending { s.removeFirst() }
            by.append((try FieldPath(s, at: "\(c.at("by"))[\(i)]"), descending))
        }
        guard !by.isEmpty else { throw OnrampError("config.length", "give at least one field", at: c.at("by")) }
        self.by = by
        maxInMemory = try c.int("max_in_memory", default: 100_000)
        self.label = label
        scratchRoot = scratch
    }

    deinit { cleanUp() }

    var isIdle: Bool { buffer.isEmpty && runs.isEmpty }

    func process(_ records: [Record], errors: inout [RecordError]) -> [Record] {
        for r in records {
            buffer.append(Entry(seq: seq, position: r.position, value: r.value))
            seq += 1
        }
        if buffer.count >= maxInMemory {
            do { try spill() } catch { stop(error) }
        }
        return []
    }

    /// Each call gives the next records in order (up to 5,000); empty when all are out.
    func finish(errors: inout [RecordError]) -> [Record] {
        if !merging {
            merging = true
            if runs.isEmpty {
                buffer.sort(by: less)
                buffer.reverse()
            } else {
                do {
                    if !buffer.isEmpty { try spill() }
                    try mergeDown(to: Self.fanIn)
                    merge = try SortMerge(runs: runs, less: less)
                } catch {
                    stop(error)
                    return []
                }
            }
        }
        var out: [Record] = []
        if runs.isEmpty {
            while out.count < Self.chunk, let e = buffer.popLast() { out.append(Record(e.value, position: e.position)) }
            if buffer.isEmpty { merging = false; seq = 0 }
            return out
        }
        do {
            while out.count < Self.chunk, let e = try merge?.next() { out.append(Record(e.value, position: e.position)) }
        } catch {
            stop(error)
            return []
        }
        if out.isEmpty { cleanUp() }
        return out
    }

    private func less(_ a: Entry, _ b: Entry) -> Bool {
        for (field, descending) in by {
            let c = ValueOrder.compare(field.get(a.value) ?? .null, field.get(b.value) ?? .null)
            if c != 0 { return descending ? c > 0 : c < 0 }
        }
        return a.seq < b.seq
    }

    /// The run files open now (at most `fanIn` while merging).
    var openRunFiles: Int { runs.count(where: \.isOpen) }

    private func spill() throws {
        if directory == nil {
            let root = scratchRoot ?? FileManager.default.temporaryDirectory.path
            Self.sweep(root)
            let dir = "\(root)/\(Self.folderPrefix)\(getpid())-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            directory = dir
        }
        buffer.sort(by: less)
        runs.append(try SortRun.write(buffer, to: nextRunPath()))
        buffer = []
    }

    private func nextRunPath() -> String {
        runFiles += 1
        return "\(directory!)/run-\(runFiles).ndjson"
    }

    /// Merges the oldest `limit` runs into one until at most `limit` are left (ties keep their order: entries carry
    /// their input sequence).
    private func mergeDown(to limit: Int) throws {
        while runs.count > limit {
            let group = Array(runs.prefix(limit))
            var merge = try SortMerge(runs: group, less: less)
            let writer = try SortRun.Writer(path: nextRunPath())
            while let e = try merge.next() { try writer.append(e) }
            let merged = try writer.finish()
            for r in group { r.close() }
            runs = Array(runs.dropFirst(limit)) + [merged]
        }
    }

    static let folderPrefix = "onramp-sort-"

    /// Removes spill folders that a process killed before its clean-up left in `root` (`onramp-sort-<pid>-…` of a
    /// process that no longer exists).
    static func sweep(_ root: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where name.hasPrefix(folderPrefix) {
            guard let pid = Int32(name.dropFirst(folderPrefix.count).prefix { $0 != "-" }), pid > 0, pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: "\(root)/\(name)")
        }
    }

    /// The records held cannot all come out: the run fails (nothing after the last checkpoint is committed).
    private func stop(_ error: any Error) {
        failure = OnrampError("sort.spill", "\(label): could not use the spill files: \(error)")
        buffer = []
        cleanUp()
    }

    private func cleanUp() {
        for r in runs { r.close() }
        runs = []
        merge = nil
        runFiles = 0
        merging = false
        seq = 0
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        directory = nil
    }
}

extension SortStep {
    static let spec = StepSpec(
        name: "sort",
        summary: "Sorts the run's records by fields, in bounded memory (spills to disk past a limit).",
        configSchema: Schema.object([
            "by": ["type": "array", "title": "Sort by", "minItems": 1, "description": "Field paths; -field sorts descending",
                   "items": Schema.string("Field", "A field path, or -path for descending")],
            "max_in_memory": Schema.integer("Max in memory", "Records held before a sorted run spills to disk", min: 100,
                                            max: 10_000_000, default: 100_000),
        ], required: ["by"]),
        example: """
        - sort: {by: [customer, -order_date]}
        """,
        build: { config, spec, context in
            try SortStep(try StepConfig(config, at: spec.path), label: spec.name ?? spec.path, scratch: context.scratchDirectory)
        })
}
