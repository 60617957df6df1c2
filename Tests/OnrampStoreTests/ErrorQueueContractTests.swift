import Foundation
import OnrampCore
import OnrampStore
import Testing

/// The error queue's contract, on every backend, and its transitions as pure functions.
extension StoreContractTests {
    func entry(_ run: String, _ index: Int, tenant: String = "acme", pipeline: String = "orders", code: String = "taxman.InvalidAddress",
               step: String? = nil, field: String? = "shipTo.region", at offset: TimeInterval = 0) -> ErrorEntry {
        ErrorEntry(id: ErrorEntry.id(run: run, index: index), tenantId: tenant, runId: run, pipelineId: pipeline, pipelineVersion: 1,
                   stage: step == nil ? .load : .transform, step: step, code: code, message: "m\(index)", field: field,
                   position: SourcePosition(file: "a.csv", line: index + 2), sealedValue: Data([UInt8(index)]),
                   createdAt: t0.addingTimeInterval(offset))
    }

    @Test(arguments: Backend.allCases)
    func theErrorQueueKeepsEachFailedRecordOnceFiltersPagesAndGroups(_ backend: Backend) async throws {
        let store = try await backend.make()
        let r1 = (0..<5).map { entry("r1", $0, code: $0 < 3 ? "taxman.InvalidAddress" : "expr.D3030", step: $0 < 3 ? nil : "set",
                                     field: $0 < 3 ? "shipTo.region" : nil) }
        try await store.queueErrors(r1)
        // Queued again (an attempt after a crash): nothing is added, nothing is changed.
        var again = r1
        again[0].message = "changed"
        try await store.queueErrors(again)
        try await store.queueErrors([entry("r2", 0, at: 10), entry("g1", 0, tenant: "globex", at: 20)])
        #expect(try await store.errorEntry(id: r1[0].id) == r1[0])
        #expect(try await store.errorEntry(id: r1[0].id)?.position == SourcePosition(file: "a.csv", line: 2))
        let all = try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(), limit: 100, after: nil)
        #expect(all.map(\.id) == [entry("r2", 0).id] + r1.map(\.id).reversed())
        let byRun = try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(runId: "r1", code: "expr.D3030"),
                                                 limit: 100, after: nil)
        #expect(byRun.map(\.id) == [r1[4].id, r1[3].id])
        #expect(try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(step: "set"), limit: 100, after: nil).count == 2)
        #expect(try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(ids: [r1[1].id, "nope"]), limit: 9, after: nil)
            .map(\.id) == [r1[1].id])
        #expect(try await store.errorEntries(tenantId: "globex", filter: ErrorQueueFilter(ids: [r1[1].id]), limit: 9, after: nil).isEmpty)
        // Pages of two follow each other without a gap or a repeat.
        var seen: [String] = []
        var cursor: PageCursor?
        while true {
            let page = try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(), limit: 2, after: cursor)
            seen += page.map(\.id)
            guard page.count == 2, let last = page.last else { break }
            cursor = PageCursor(createdAt: last.createdAt, id: last.id)
        }
        #expect(seen == all.map(\.id))
        let groups = try await store.errorGroups(tenantId: "acme", filter: ErrorQueueFilter())
        #expect(groups == [ErrorGroup(code: "taxman.InvalidAddress", step: nil, field: "shipTo.region", count: 4),
                           ErrorGroup(code: "expr.D3030", step: "set", field: nil, count: 2)])
        #expect(try await store.errorGroups(tenantId: "globex", filter: ErrorQueueFilter()).map(\.count) == [1])
        // A search over message, code, field and step, ASCII letters in any case, every backend alike.
        func found(_ text: String) async throws -> Set<String> {
            Set(try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(search: text), limit: 100, after: nil).map(\.id))
        }
        #expect(try await found("M3") == [r1[3].id], "the message m3")
        #expect(try await found("d3030") == [r1[3].id, r1[4].id], "the code")
        #expect(try await found("SHIPTO.") == Set(r1[0..<3].map(\.id) + [entry("r2", 0).id]), "the field")
        #expect(try await found("SE") == [r1[3].id, r1[4].id], "the step set")
        #expect(try await found("%").isEmpty, "no wildcards")
        #expect(try await found("_").isEmpty, "no wildcards")
        #expect(try await store.errorGroups(tenantId: "acme", filter: ErrorQueueFilter(search: "invalidaddress"))
                    .map(\.count) == [4])
        #expect(try await store.errorEntries(tenantId: "globex", filter: ErrorQueueFilter(search: "m0"), limit: 9, after: nil).count == 1)
        // Beyond ASCII, bytes as they are: no case folding of É, no Unicode equivalence of e + U+0301 and é.
        var odd = entry("r3", 0, at: 30)
        odd.message = "Stra\u{DF}e \u{C9}tat cafe\u{301}"
        try await store.queueErrors([odd])
        #expect(try await found("\u{C9}TAT") == [odd.id])
        #expect(try await found("\u{DF}") == [odd.id])
        #expect(try await found("\u{E9}tat").isEmpty, "É is not folded")
        #expect(try await found("caf\u{E9}").isEmpty, "é is not e + U+0301")
        #expect(try await found("cafe") == [odd.id], "the bytes of e + U+0301 start with e")
    }

    @Test(arguments: Backend.allCases)
    func errorEntriesChangeOnlyByTheirTransitionsAndOnlyInTheirTenant(_ backend: Backend) async throws {
        let store = try await backend.make()
        try await store.queueErrors((0..<3).map { entry("r1", $0) })
        let ids = (0..<3).map { ErrorEntry.id(run: "r1", index: $0) }
        let now = t0.addingTimeInterval(5)
        #expect(try await store.updateErrorEntries(tenantId: "acme", ids: [ids[2]]) { ErrorQueueLifecycle.set($0, to: .ignored, at: now) }
            .map(\.state) == [.ignored])
        // Another tenant's update finds nothing.
        #expect(try await store.updateErrorEntries(tenantId: "globex", ids: ids) { ErrorQueueLifecycle.take($0, replayRun: "x", at: now) }
            .isEmpty)
        let taken = try await store.updateErrorEntries(tenantId: "acme", ids: ids) { ErrorQueueLifecycle.take($0, replayRun: "rp", at: now) }
        #expect(taken.map(\.id) == [ids[0], ids[1]])
        #expect(try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(replayRunId: "rp"), limit: 9, after: nil).count == 2)
        let edited = try await store.updateErrorEntries(tenantId: "acme", ids: [ids[0]]) {
            ErrorQueueLifecycle.edit($0, sealedValue: Data([9, 9]), by: "ana@acme", at: now)
        }
        #expect(edited.first?.editedBy == "ana@acme")
        let stored = try #require(try await store.errorEntry(id: ids[0]))
        #expect(stored.sealedValue == Data([9, 9]) && stored.editedAt == now && stored.replayRunId == "rp" && stored.updatedAt == now)
        // The replay settles: the one that failed again stays open; settling twice resolves nothing more.
        let failed: Set<String> = [ids[1]]
        for round in 0..<2 {
            let settled = try await store.updateErrorEntries(tenantId: "acme", ids: ids) {
                ErrorQueueLifecycle.settle($0, run: "rp", failedAgain: failed.contains($0.id), at: now)
            }
            #expect(settled.map(\.id) == (round == 0 ? [ids[0]] : []))
        }
        #expect(try await store.errorEntries(tenantId: "acme", filter: ErrorQueueFilter(state: .open), limit: 9, after: nil).map(\.id)
            == [ids[1]])
    }
}

@Suite struct ErrorQueueLifecycleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func entry(_ state: ErrorEntryState = .open, replayRun: String? = nil) -> ErrorEntry {
        ErrorEntry(id: "e", tenantId: "acme", runId: "r", pipelineId: "p", pipelineVersion: 1, stage: .load, step: nil, code: "c",
                   message: "m", field: nil, position: SourcePosition(line: 2), sealedValue: Data(), state: state,
                   replayRunId: replayRun, createdAt: t0)
    }

    @Test func aReplayRunResolvesOnlyTheOpenEntriesItTookAndOnlyOnce() {
        let later = t0.addingTimeInterval(1)
        #expect(ErrorQueueLifecycle.take(entry(), replayRun: "a", at: later)?.replayRunId == "a")
        // An entry an earlier replay took (and did not deliver) is taken over by the next one.
        #expect(ErrorQueueLifecycle.take(entry(replayRun: "a"), replayRun: "b", at: later)?.replayRunId == "b")
        for state in [ErrorEntryState.resolved, .ignored] {
            #expect(ErrorQueueLifecycle.take(entry(state), replayRun: "a", at: later) == nil)
        }
        let resolved = ErrorQueueLifecycle.settle(entry(replayRun: "a"), run: "a", failedAgain: false, at: later)
        #expect(resolved?.state == .resolved && resolved?.updatedAt == later)
        // Claimed again after a crash, the same run settles again: nothing changes a second time.
        #expect(ErrorQueueLifecycle.settle(resolved!, run: "a", failedAgain: false, at: later) == nil)
        #expect(ErrorQueueLifecycle.settle(entry(replayRun: "a"), run: "a", failedAgain: true, at: later) == nil)
        // A replay that an entry no longer names (taken over by a newer replay) cannot resolve it.
        #expect(ErrorQueueLifecycle.settle(entry(replayRun: "b"), run: "a", failedAgain: false, at: later) == nil)
        #expect(ErrorQueueLifecycle.replays(entry(replayRun: "a"), run: "a"))
        #expect(!ErrorQueueLifecycle.replays(entry(.resolved, replayRun: "a"), run: "a"))
    }

    @Test func onlyOpenEntriesAreIgnoredOrEditedAndOnlyIgnoredOnesReopen() {
        #expect(ErrorQueueLifecycle.set(entry(), to: .ignored, at: t0)?.state == .ignored)
        #expect(ErrorQueueLifecycle.set(entry(.ignored), to: .open, at: t0)?.state == .open)
        #expect(ErrorQueueLifecycle.set(entry(.resolved), to: .open, at: t0) == nil)
        #expect(ErrorQueueLifecycle.set(entry(), to: .resolved, at: t0) == nil)
        #expect(ErrorQueueLifecycle.set(entry(), to: .open, at: t0) == nil)
        #expect(ErrorQueueLifecycle.edit(entry(), sealedValue: Data([1]), by: "x", at: t0)?.sealedValue == Data([1]))
        #expect(ErrorQueueLifecycle.edit(entry(.ignored), sealedValue: Data([1]), by: "x", at: t0) == nil)
        #expect(ErrorEntry.id(run: "r", index: 12) == "r-e0000012")
    }
}
