import Crypto
import Foundation
import OnrampCore
#if canImport(Glibc)
import Glibc
#endif

/// The agent's durable spool: records read and transformed on the customer's machine wait here, on disk, until the
/// platform acknowledged them. A segment is one batch: written to a `.partial` file, synced and renamed into place,
/// with its SHA-256 in its first line. Segments become pushable only once `commit` recorded the source checkpoint
/// that covers them (in `state.json`, written the same way): after a crash, segments past the last commit are
/// dropped (their records are read again from the checkpoint), so nothing is pushed twice or lost. Bounded:
/// `append` waits while the spool holds `maxBytes`, which pauses the source.
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
        let idPath = "\(directory)/spool-id"
        if let existing = fm.contents(atPath: idPath).map({ String(decoding: $0, as: UTF8.self) }), !existing.isEmpty {
            id = existing.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            let fresh = String(UUID().uuidString.lowercased().prefix(13)).replacingOccurrences(of: "-", with: "")
            try Self.writeDurably(Data(fresh.utf8), to: idPath)
            id = fresh
        }
        var state: Value = [:]
        if let data = fm.contents(atPath: "\(directory)/state.json") {
            do { state = try JSONParser.parse([UInt8](data)) } catch {
                throw OnrampError("spool.state", "the spool's state file does not read: \(error)", at: "\(directory)/state.json")
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
    }

    /// The checkpoint committed under `key` (nil: none).
    public func checkpoint(_ key: String) -> Value? { checkpoints[key] }

    /// Segments and bytes held; pushable segments among them.
    public var status: (segments: Int, bytes: Int64, pushable: Int) {
        (segments.count, bytes, segments.keys.filter { $0 <= committedThrough }.count)
    }

    /// Writes `lines` (one JSON record each) as the next segment, durably; waits first while the spool is full.
    /// Uncommitted until the next `commit(advancing: true)` or `commitWritten()`.
    public func append(_ lines: [String]) async throws -> Int64 {
        while bytes >= maxBytes {
            try Task.checkCancellation()
            await waitForChange()
        }
        let payload = Data(lines.joined(separator: "\n").utf8) + Data("\n".utf8)
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

    /// Records `checkpoint` under `key`; with `advancing`, the segments written so far become pushable with it.
    public func commit(_ key: String, _ checkpoint: Value?, advancing: Bool) throws {
        var next = checkpoints
        next[key] = checkpoint
        try writeState(checkpoints: next, through: advancing ? lastWritten : committedThrough)
        if advancing { signal() }
    }

    /// Makes every segment written pushable (a run that read to its end: what it read is all delivered).
    public func commitWritten() throws {
        guard lastWritten > committedThrough else { return }
        try writeState(checkpoints: checkpoints, through: lastWritten)
        signal()
    }

    /// Drops the segments written since the last commit (a run that failed: they are read again next time).
    public func dropUncommitted() {
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
            try? await Task.sleep(for: timeout)
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

    private func writeState(checkpoints next: [String: Value], through: Int64) throws {
        let state: Value = ["committed_through": .number(Double(through)),
                            "checkpoints": .object(Value.Object(uniqueKeysWithValues: next.sorted { $0.key < $1.key }))]
        try Self.writeDurably(Data(JSONWriter.string(state).utf8), to: statePath)
        checkpoints = next
        committedThrough = through
    }

    /// Writes `data` to `path.partial`, syncs it, renames it over `path` and syncs the folder.
    static func writeDurably(_ data: Data, to path: String) throws {
        let partial = path + ".partial"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
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
        let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
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
