import Foundation
import OnrampCore
import Testing

/// What a hostile tenant's previews and runs may cost the platform: expressions that trap or stall,
/// a run that kills its worker, runs past their limits.
extension HostileTenantTests {
    /// Each preview answers a 4xx error, or its record's expression error, within its time limit (3 s)
    /// and a few seconds; /healthz answers all the while.
    @Test func expressionsThatTrapOrStallCostOnlyTheirPreview() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-expr")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, ["--preview-seconds", "3"])
        defer { s.child.stop() }
        try await s.setUp()
        try S.write("id,name\n1,alice\n", to: s.area("acme").appendingPathComponent("in/one.csv"))
        // With the value jsonata-js gives where it gives one (nil: an error is the only right answer).
        let trapsAndStalls: [(String, Value?)] = [
            ("$pad(\"x\", 1e300)", nil), ("$round(1, 1e300)", nil), ("$formatBase(1e300)", nil),
            ("$substring(\"abc\", 1e300)", ""), ("$split(\"a,b\", \",\", 1e300)", ["a", "b"]), ("$pad(\"\", 1e9)", nil),
            (String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000), nil),
        ]
        for (expression, jsonataValue) in trapsAndStalls {
            let document = S.pipeline("trap", source: S.csv("in/one.csv"), steps: [["set": ["x": .string(expression)]]])
            let server = s
            let started = ContinuousClock.now
            // The health loop stops on a flag, not by cancellation: cancelling a task inside URLSession.data can
            // deadlock FoundationNetworking on Linux (its queue and the task's status lock, seen in a CI run).
            let answered = AnsweredFlag()
            let reply = try await withThrowingTaskGroup(of: S.Reply?.self) { group in
                group.addTask {
                    do { return try await server.preview("acme", document) } catch {
                        Issue.record("the preview got no answer (\(error.localizedDescription)): \(server.logTail())")
                        throw error
                    }
                }
                group.addTask {
                    while !answered.isSet {
                        try await server.expectHealthy()
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                    return nil
                }
                var answer: S.Reply?
                while let next = try await group.next() {
                    if let next { answer = next; answered.set() }
                }
                return try #require(answer)
            }
            let took = ContinuousClock.now - started
            let name = expression.prefix(30)
            // Refused (the preview's process died or stalled, or the expression does not compile), or the
            // record fails at the step with an expression error code, or it has jsonata-js's value.
            let recordError = reply.json?["errors"]?.arrayValue?.first
            if reply.status == 200, let jsonataValue {
                #expect(reply.json?["steps[0].set"]?.arrayValue?.first?["x"] == jsonataValue, "\(name): \(reply.body.prefix(300))")
            } else if reply.status == 200 {
                #expect(reply.json?["steps[0].set"]?.arrayValue?.isEmpty == true, "\(name): \(reply.body.prefix(300))")
                #expect(recordError?["step"] == "steps[0].set" && recordError?["code"]?.stringValue?.hasPrefix("expr.") == true,
                        "\(name): \(reply.body.prefix(300))")
            } else {
                #expect((400..<500).contains(reply.status), "\(name): \(reply.status) \(reply.body.prefix(300))")
                #expect(reply.code?.isEmpty == false, "\(name): \(reply.body.prefix(300))")
            }
            #expect(took < .seconds(3 + 20), "\(name) took \(took)")  // the 3 s limit cut it (a stall is 30 s and more)
            try await s.expectHealthy()
        }
        // The API server compiles expressions itself when it validates or saves: a deep one is an error there too.
        let nested = String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000)
        let deep = S.pipeline("deep", source: S.csv("in/one.csv"), steps: [["set": ["x": .string(nested)]]])
        let validated = try await s.call("POST", "/validate", key: s.keys["acme"], json: deep)
        #expect(validated.json?["valid"] == false && validated.json?["error"]?["field"] == "steps[0].set.x",
                "\(validated.body.prefix(300))")
        let saved = try await s.call("POST", "/tenants/acme/pipelines", key: S.admin, json: deep)
        #expect(saved.status == 422 && saved.field == "steps[0].set.x", "\(saved.body.prefix(300))")
        try await s.expectHealthy()
        #expect(try await s.preview("acme", S.pipeline("fine", source: S.csv("in/one.csv"))).status == 200)
    }

    /// The crash test: `$count([1..9999999])` allocates past `--run-memory-mb 600` and kills its
    /// worker on each of its 2 attempts; the API answers throughout and another tenant's run completes.
    @Test func aRunThatKillsItsWorkerFailsAfterItsAttemptsWhileOthersComplete() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-crash")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, ["--run-memory-mb", "600", "--max-attempts", "2"])
        defer { s.child.stop() }
        try await s.setUp()
        try S.write("id,name\n1,alice\n", to: s.area("acme").appendingPathComponent("in/one.csv"))
        try S.write("id,name\n1,a\n2,b\n3,c\n", to: s.area("bobco").appendingPathComponent("in/three.csv"))
        let crash = try await s.run("acme", S.pipeline("crash", source: S.csv("in/one.csv"),
                                                       steps: [["set": ["n": "$count([1..9999999])"]]]))
        let other = try await s.run("bobco", S.pipeline("other", source: S.csv("in/three.csv")))
        let crashed = try await s.finished("acme", crash, seconds: 60)
        let completed = try await s.finished("bobco", other, seconds: 30)
        #expect(crashed["state"] == "failed", "\(crashed)")
        #expect(crashed["attempts"] == 2, "\(crashed)")
        let reasons = crashed["attempt_errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(reasons.count == 2 && reasons.allSatisfy { $0.contains("worker process died: signal") }, "\(reasons)")
        #expect(completed["state"] == "succeeded", "\(completed)")
        #expect(completed["summary"]?["records_written"] == 3, "\(completed)")
        try await s.expectHealthy()
    }

    /// A run past `--run-max-records 50` and one past `--run-timeout 3` fail with the limit's name.
    @Test func runsPastTheirLimitsFailNamingTheLimit() async throws {
        guard Self.available() else { return }
        let dir = try S.temporaryDirectory("hostile-limits")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = try await S.start(dir, ["--run-max-records", "50", "--run-timeout", "3"])
        defer { s.child.stop() }
        try await s.setUp()
        var sixty = "id,name\n"
        for i in 1...60 { sixty += "\(i),n\(i)\n" }
        try S.write(sixty, to: s.area("acme").appendingPathComponent("in/sixty.csv"))
        let many = try await s.finished("acme", try await s.run("acme", S.pipeline("many", source: S.csv("in/sixty.csv"))))
        #expect(many["state"] == "failed", "\(many)")
        #expect(many["summary"]?["failure_reason"]?.stringValue?.contains("run.limit_records") == true, "\(many)")

        try S.write(sixty.split(separator: "\n").prefix(41).joined(separator: "\n") + "\n",
                    to: s.area("acme").appendingPathComponent("in/forty.csv"))
        let slow = try await s.run("acme", S.pipeline("slow", source: S.csv("in/forty.csv"),
                                                      steps: [["set": ["n": "$count([1..2000000])"]]]))
        let started = ContinuousClock.now
        let stalled = try await s.finished("acme", slow, seconds: 40)
        #expect(stalled["state"] == "failed", "\(stalled)")
        let reason = stalled["summary"]?["failure_reason"]?.stringValue ?? ""
        let attempts = stalled["attempt_errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(reason.contains("run.limit_wall_time") || attempts.contains { $0.contains("run.limit_wall_time") }, "\(stalled)")
        #expect(ContinuousClock.now - started < .seconds(2 * 3 + 30))
    }
}

/// Set once the preview answered: the health loop beside it ends at its next turn.
final class AnsweredFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
