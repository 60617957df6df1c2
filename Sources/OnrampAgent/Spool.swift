import Crypto
import Foundation
import OnrampCore
#if canImport(Glibc)
import Glibc
#endif

/// The agent's durable spool: records read and transformed on the customer's machine wait here, on disk, until the
/// platform acknowledged them. A segment is one batch: written to a `.partial` file, synced and renamed into place,
/// with its SHA-256 in its first line. Checkpoints (the source's, and steps' memories) are held back and written
/// together, in one durable write of `state.json`, just before the next segment (or at the end of the run); the
/// source's checkpoint makes the segments before it pushable in that same write. After a crash, segments past the
/// last write are dropped and their records read again from the checkpoint written with them, with the steps'
/// memories of that moment: nothing is pushed twice or lost. Bounded: `append` waits while the spool holds
/// `maxBytes` of pushable segments (pausing the source); a run whose uncommitted segments alone fill it fails.
/// One process at a time: the folder is locked while a spool is open.
public actor Spool {
    public struct Segment: Sendable, Equatable {
        public let sequence: Int64
        public let path: String
        public let bytes: Int64
    }

    /// A segment whose bytes are not what was written (a disk fault, an edit): moved aside, never pushed.
    public struct Corrupt: Error, CustomStringConvertible {
        public let sequence: Int64
        public let movedTo: String
        public var description: String {
            "spool segment \(sequence) is damaged (its checksum does not match); it was moved to \(movedTo) and is not "
                + "pushed: the agent stops pushing until it is looked at"
        }
    }

    public let directory: String
    public let maxBytes: Int64
    /// This spool's id: batch ids are `ID-SEQUENCE`, so two spools (or a spool made again) never share one.
    public let id: String
    private var committedThrough: Int64
    private var lastWritten: Int64
    private var checkpoints: [String: Value]
    /// Commits not written yet (nil values: reset), and the segment the source's checkpoint among them covers.
    private var pending: [String: Value?] = [:]
    private var pendingThrough: Int64?
    private let lock: Int32
    private var segments: [Int64: Segment] = [:]
    private var bytes: Int64 = 0
    /// Called when a segment becomes pushable or space is freed.
    private var waiters: [CheckedContinuation<Void, Never>] = []

    static let header = "#onramp-spool v1 sha256="
    var segmentFolder: String { "\(directory)/segments" }
    var statePath: String { "\(directory)/state.json" }

    /// Opens (creating) the spool in `directory`: keeps committed segments, drops uncommitted and partial ones.
    public init(directory: String, maxBytes: Int64) throws {
        self.directory = directory
        self.maxBytes = max(maxBytes, 1)
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(directory)/segments", withIntermediateDirectories: true,
                               attributes: [.posixPermissions: 0o700])
        lock = open("\(directory)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            if lock >= 0 { close(lock) }
            throw OnrampError("spool.locked", "another agent uses this spool folder; give each agent its own --spool",
                              at: directory)
        }
        let idPath = "\(directory)/spool-id"
        let hasState = fm.fileExists(atPath: "\(directory)/state.json")
        // Without its state (deleted, a fresh copy) the spool starts numbering again: under a new id, so a batch id
        // the platform has already stored is never sent with other records.
        if hasState, let existing = fm.contents(atPath: idPath).map({ String(decoding: $0, as: UTF8.self) }), !existing.isEmpty {
            id = existing.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            let fresh = String(UUID().uuidString.lowercased().prefix(13)).replacingOccurrences(of: "-", with: "")
            try Self.writeDurably(Data(fresh.utf8), to: idPath)
            id = fresh
        }
        var state: Value = [:]
        if let data = fm.contents(atPath: "\(directory)/state.json") {
            do { state = try JSONParser.parse([UInt8](data)) } catch {
                close(lock)
                throw OnrampError("spool.state", "the spool's state file does not read (\(error)); move the folder aside "
                                  + "and start again (the source is then read from the start)", at: "\(directory)/state.json")
            }
        }
        committedThrough = Int64(state["committed_through"]?.numberValue ?? 0)
        checkpoints = state["checkpoints"]?.objectValue.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key, $0.value) }) } ?? [:]
        lastWritten = committedThrough
        for name in try fm.contentsOfDirectory(atPath: "\(directory)/segments") {
            let path = "\(directory)/segments/\(name)"
            guard name.hasSuffix(".seg"), let seq = Int64(name.dropLast(4)), seq <= committedThrough else {
                try? fm.removeItem(atPath: path)  // partial, or written after the last commit: read again
                continue
            }
            let size = ((try? fm.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
            segments[seq] = Segment(sequence: seq, path: path, bytes: size)
            bytes += size
        }
        corrupt = ((try? fm.contentsOfDirectory(atPath: "\(directory)/corrupt")) ?? []).sorted()
    }

    deinit { close(lock) }

    /// Damaged segments set aside (in `corrupt/`) by this or an earlier process: while there are any, nothing is
    /// pushed (a person decides what to do with them).
    public private(set) var corrupt: [String] = []

    /// The checkpoint committed under `key` (nil: none).
    public func checkpoint(_ key: String) -> Value? {
        if let held = pending[key] { return held }
        return checkpoints[key]
    }

    /// Segments and bytes held; pushable segments among them.
    public var status: (segments: Int, bytes: Int64, pushable: Int) {
        (segments.count, bytes, segments.keys.filter { $0 <= committedThrough }.count)
    }

    var pushableBytes: Int64 { segments.values.filter { $0.sequence <= committedThrough }.reduce(0) { $0 + $1.bytes } }

    /// Writes `lines` (one JSON record each) as the next segment, durably, after the commits held back. While the spool
    /// is full of pushable segments it waits (`shouldStop` ends the wait with `agent.stopped`); when its uncommitted
    /// ones alone fill it, the run cannot go on (`spool.too_small`).
    public func append(_ lines: [String], shouldStop: @Sendable () -> Bool = { false }) async throws -> Int64 {
        let payload = Data(lines.joined(separator: "\n").utf8) + Data("\n".utf8)
        try flush()
        while bytes + Int64(payload.count) > maxBytes, bytes > 0 {
            guard pushableBytes > 0 else {
                throw OnrampError("spool.too_small", "the spool (--max-spool-mb) is smaller than what the source reads between two "
                                  + "checkpoints; give it more room", at: directory)
            }
            if shouldStop() || Task.isCancelled { throw OnrampError("agent.stopped", "the agent is stopping") }
            await waitForChange()
        }
        let digest = Hex.string(SHA256.hash(data: payload))
        let seq = lastWritten + 1
        let path = "\(segmentFolder)/\(String(format: "%012lld", seq)).seg"
        let data = Data("\(Self.header)\(digest) records=\(lines.count)\n".utf8) + payload
        try Self.writeDurably(data, to: path)
        lastWritten = seq
        segments[seq] = Segment(sequence: seq, path: path, bytes: Int64(data.count))
        bytes += Int64(data.count)
        return seq
    }

    /// Records `checkpoint` under `key` (held back until the next segment or `commitWritten`); with `advancing`, the
    /// segments written so far become pushable with it.
    public func commit(_ key: String, _ checkpoint: Value?, advancing: Bool) {
        pending[key] = .some(checkpoint)
        if advancing { pendingThrough = lastWritten }
    }

    /// Writes the commits held back, and makes every segment written pushable (a run that read to its end: what it
    /// read is all delivered).
    public func commitWritten() throws {
        pendingThrough = lastWritten
        try flush()
    }

    /// Writes the commits held back, in one durable write.
    func flush() throws {
        guard !pending.isEmpty || (pendingThrough ?? committedThrough) > committedThrough else { return }
        var next: [String: Value?] = checkpoints.mapValues { $0 }
        for (key, value) in pending { next.updateValue(value, forKey: key) }
        let through = max(committedThrough, pendingThrough ?? committedThrough)
        try writeState(checkpoints: next, through: through)
        pending = [:]
        pendingThrough = nil
        signal()
    }

    /// Drops the segments written since the last commit (a run that failed: they are read again next time).
    public func dropUncommitted() {
        pending = [:]
        pendingThrough = nil
        for seq in segments.keys where seq > committedThrough {
            if let s = segments.removeValue(forKey: seq) {
                try? FileManager.default.removeItem(atPath: s.path)
                bytes -= s.bytes
            }
        }
        lastWritten = committedThrough
        signal()
    }

    /// The oldest pushable segment, if any.
    public func next() -> Segment? {
        segments.keys.filter { $0 <= committedThrough }.min().flatMap { segments[$0] }
    }

    /// The segment's records as written, checked against its checksum; a damaged one is moved to `corrupt/` and
    /// thrown as `Corrupt`.
    public func payload(_ segment: Segment) throws -> Data {
        guard let data = FileManager.default.contents(atPath: segment.path) else {
            throw OnrampError("spool.read", "cannot read spool segment \(segment.sequence)", at: segment.path)
        }
        if let newline = data.firstIndex(of: 0x0A) {
            let head = String(decoding: data[..<newline], as: UTF8.self)
            let payload = data[(newline + 1)...]
            if head.hasPrefix(Self.header), let digest = head.dropFirst(Self.header.count).split(separator: " ").first,
               Hex.string(SHA256.hash(data: payload)) == digest {
                return Data(payload)
            }
        }
        let folder = "\(directory)/corrupt"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let moved = "\(folder)/\((segment.path as NSString).lastPathComponent)"
        try? FileManager.default.moveItem(atPath: segment.path, toPath: moved)
        if let s = segments.removeValue(forKey: segment.sequence) { bytes -= s.bytes }
        corrupt.append((moved as NSString).lastPathComponent)
        throw Corrupt(sequence: segment.sequence, movedTo: moved)
    }

    /// Removes a segment the platform acknowledged.
    public func remove(_ segment: Segment) {
        guard let s = segments.removeValue(forKey: segment.sequence) else { return }
        try? FileManager.default.removeItem(atPath: s.path)
        bytes -= s.bytes
        signal()
    }

    /// Waits until a segment becomes pushable, space is freed, or `timeout` passes.
    public func waitForChange(timeout: Duration = .seconds(1)) async {
        let wake = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }  // cancelled: the caller was woken
            await self?.signal()
        }
        await withCheckedContinuation { waiters.append($0) }
        wake.cancel()
    }

    private func signal() {
        let all = waiters
        waiters = []
        for w in all { w.resume() }
    }

    private func writeState(checkpoints next: [String: Value?], through: Int64) throws {
        let kept = next.compactMap { k, v in v.map { (k, $0) } }.sorted { $0.0 < $1.0 }
        let state: Value = ["committed_through": .number(Double(through)),
                            "checkpoints": .object(Value.Object(uniqueKeysWithValues: kept))]
        try Self.writeDurably(Data(JSONWriter.string(state).utf8), to: statePath)
        checkpoints = Dictionary(uniqueKeysWithValues: kept)
        committedThrough = through
    }

    /// Writes `data` to `path.partial`, syncs it, renames it over `path` and syncs the folder.
    static func writeDurably(_ data: Data, to path: String) throws {
        let partial = path + ".partial"
        unlink(partial)  // a stale one (a crash), or one planted there: never written through
        let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("cannot create", partial) }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(partial, path) == 0 else {
            let error = ioError("cannot write", path)
            unlink(partial)
            throw error
        }
        let folder = open(PathText.parent(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    static func ioError(_ what: String, _ path: String) -> OnrampError {
        OnrampError(errno == ENOSPC ? "spool.full_disk" : "spool.io", "\(what) \(path): \(String(cString: strerror(errno)))",
                    at: path)
    }
}
