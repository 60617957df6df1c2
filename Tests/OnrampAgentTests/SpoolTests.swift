import Foundation
@testable import OnrampAgent
import OnrampCore
import Testing

/// The spool's promises, on a real folder: what is committed survives a reopen (a crash), what is not is dropped,
/// a damaged segment is found and kept aside, and a full spool makes the writer wait.
@Suite struct SpoolTests {
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("onramp-spool-\(UUID().uuidString)").path
    }

    @Test func committedSegmentsSurviveAReopenAndUncommittedOnesAreDropped() async throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spool: Spool? = try Spool(directory: dir, maxBytes: 1 << 20)
        let id = try #require(await spool?.id)
        #expect(try await spool?.append(["{\"id\":1}", "{\"id\":2}"]) == 1)
        await spool?.commit("orders", ["files": ["a.csv": "1"]], advancing: true)
        await spool?.commit("orders#dedupe", ["seen": 2], advancing: false)
        // Held back until the next segment: not pushable yet, nothing written.
        #expect(await spool?.next() == nil)
        #expect(try await spool?.append(["{\"id\":3}"]) == 2)
        await spool?.commit("orders#dedupe", ["seen": 3], advancing: false)
        #expect(await spool?.next()?.sequence == 1)
        // A crash here: segment 2 and the dedupe memory after it were not written together with a checkpoint.
        spool = nil
        let reopened = try Spool(directory: dir, maxBytes: 1 << 20)
        #expect(await reopened.id == id)
        #expect(await reopened.status.segments == 1)
        #expect(await reopened.checkpoint("orders") == ["files": ["a.csv": "1"]])
        #expect(await reopened.checkpoint("orders#dedupe") == ["seen": 2])  // the memory of the moment segment 1 was
        let first = try #require(await reopened.next())
        #expect(String(decoding: try await reopened.payload(first), as: UTF8.self) == "{\"id\":1}\n{\"id\":2}\n")
        // Numbering goes on after the last committed segment (the dropped one never left the machine).
        #expect(try await reopened.append(["{\"id\":3}"]) == 2)
        try await reopened.commitWritten()
        await reopened.remove(first)
        #expect(await reopened.next()?.sequence == 2)
        await reopened.commit("orders#dedupe", ["seen": 99], advancing: false)
        await reopened.dropUncommitted()  // a failed run: its held-back memory goes too
        #expect(await reopened.checkpoint("orders#dedupe") == ["seen": 2])
        #expect(await reopened.status.segments == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/segments").allSatisfy { !$0.hasSuffix(".partial") })
    }

    @Test func oneAgentPerFolderAndANewIdWhenTheStateIsGone() async throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spool: Spool? = try Spool(directory: dir, maxBytes: 1 << 20)
        let id = try #require(await spool?.id)
        #expect(throws: OnrampError.self) { _ = try Spool(directory: dir, maxBytes: 1 << 20) }
        _ = try await spool?.append(["{}"])
        try await spool?.commitWritten()
        spool = nil
        try FileManager.default.removeItem(atPath: "\(dir)/state.json")
        // Numbering starts again: under another id, so no batch id the platform holds is sent with other records.
        let again = try Spool(directory: dir, maxBytes: 1 << 20)
        #expect(await again.id != id)
        #expect(await again.status.segments == 0)
    }

    @Test func aRunWhoseUncommittedRecordsFillTheSpoolFailsInsteadOfWaitingForever() async throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try Spool(directory: dir, maxBytes: 100)
        _ = try await spool.append([String(repeating: "x", count: 120)])
        do {
            _ = try await spool.append(["{}"])
            Issue.record("the spool took more than it holds with nothing to push")
        } catch let e as OnrampError {
            #expect(e.code == "spool.too_small")
        }
    }

    @Test func aDamagedSegmentIsReportedAndKeptAsideNotPushed() async throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try Spool(directory: dir, maxBytes: 1 << 20)
        _ = try await spool.append(["{\"id\":\"ORD-1\",\"amount\":\"10.00\"}"])
        try await spool.commitWritten()
        let segment = try #require(await spool.next())
        var data = try Data(contentsOf: URL(fileURLWithPath: segment.path))
        data[data.count - 4] = UInt8(ascii: "9")  // 10.00 becomes 10.90 on disk
        try data.write(to: URL(fileURLWithPath: segment.path))
        do {
            _ = try await spool.payload(segment)
            Issue.record("a damaged segment was read")
        } catch let e as Spool.Corrupt {
            #expect(e.sequence == 1 && e.description.contains("damaged"))
            #expect(FileManager.default.fileExists(atPath: e.movedTo))
        }
        #expect(await spool.next() == nil)
        #expect(await spool.corrupt.count == 1)
    }

    @Test func aFullSpoolMakesTheWriterWaitUntilSpaceIsFreed() async throws {
        let dir = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try Spool(directory: dir, maxBytes: 100)
        _ = try await spool.append([String(repeating: "x", count: 120)])
        try await spool.commitWritten()
        let writer = Task { try await spool.append(["{\"id\":2}"]) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(await spool.status.segments == 1)  // still waiting: the source is paused
        await spool.remove(try #require(await spool.next()))
        #expect(try await writer.value == 2)
        #expect(await spool.status.segments == 1)
    }

    @Test func backoffDoublesHonoursRetryAfterAndResets() {
        var b = PushBackoff()
        #expect(b.next(after: .transient(retryAfter: nil)) == 0.5)
        #expect(b.next(after: .transient(retryAfter: nil)) == 1)
        #expect(b.next(after: .transient(retryAfter: 7)) == 7)
        for _ in 0..<20 { _ = b.next(after: .transient(retryAfter: nil)) }
        #expect(b.next(after: .transient(retryAfter: nil)) == 30)
        #expect(b.next(after: .refused) == 60)
        #expect(b.next(after: .stored) == 0 && b.failures == 0)
        #expect(PushBackoff.outcome(status: 201, retryAfter: nil) == .stored)
        #expect(PushBackoff.outcome(status: 200, retryAfter: nil) == .stored)
        #expect(PushBackoff.outcome(status: 429, retryAfter: 3) == .transient(retryAfter: 3))
        #expect(PushBackoff.outcome(status: 503, retryAfter: nil) == .transient(retryAfter: nil))
        #expect(PushBackoff.outcome(status: nil, retryAfter: nil) == .transient(retryAfter: nil))
        #expect(PushBackoff.outcome(status: 401, retryAfter: nil) == .refused)
        #expect(PushBackoff.outcome(status: 409, retryAfter: nil) == .refused)
    }
}
