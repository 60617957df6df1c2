import Foundation
import Logging
import OnrampStore
import OnrampStorePostgres
import PostgresNIO
import Synchronization
import Testing

/// The change feed and leader election of stores on one schema (as separate processes would have them).
@Suite(.enabled(if: PostgresTestStore.available || PostgresTestStore.required,
                "needs ONRAMP_TEST_POSTGRES (source scripts/postgres-test.sh)"))
struct PostgresSharedStoreTests {
    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 5, _ condition: () -> Bool) async throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func announcementsReachTheOtherStoresOfTheSchemaOnly() async throws {
        let schema = PostgresTestStore.freshSchema()
        let listener = try await PostgresTestStore.make(schema: schema)
        let sibling = try await PostgresTestStore.make(schema: schema)
        let stranger = try await PostgresTestStore.make()
        let heard = Shared<[StoreTopic]>([])
        let listening = Task { try await listener.listen { topic in heard.withLock { $0.append(topic) } } }
        defer { listening.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        let t0 = Date()
        try await stranger.enqueue(RunRecord(id: "s1", tenantId: "t", pipelineId: "p", pipelineVersion: 1,
                                             trigger: "manual", createdAt: t0))
        try await sibling.enqueue(RunRecord(id: "r1", tenantId: "t", pipelineId: "p", pipelineVersion: 1,
                                            trigger: "manual", createdAt: t0))
        #expect(try await Self.eventually { heard.withLock { $0 } == [.runs] })
        try await sibling.saveSchedule(ScheduleRecord(id: "s", tenantId: "t", pipelineId: "p", cron: "* * * * *",
                                                      timezone: "UTC", enabled: true, createdAt: t0))
        #expect(try await Self.eventually { heard.withLock { $0 } == [.runs, .schedules] })
        // A claim announces nothing; the end of the run does (its slot is free).
        let run = try #require(try await sibling.claim(worker: "w", now: t0, policy: ClaimPolicy(lease: 30, perTenantLimit: 2)))
        try await Task.sleep(for: .milliseconds(200))
        #expect(heard.withLock { $0.count } == 2)
        #expect(try await sibling.finish(try #require(run.fence), state: .succeeded, summary: [:], at: t0))
        #expect(try await Self.eventually { heard.withLock { $0 } == [.runs, .schedules, .runs] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(heard.withLock { $0.count } == 3, "the other schema's enqueue was heard")
    }

    @Test func oneLeaderAtATimeAndAStandbyTakesOverWhenItsSessionDies() async throws {
        let schema = PostgresTestStore.freshSchema()
        let a = try await PostgresTestStore.make(schema: schema)
        let b = try await PostgresTestStore.make(schema: schema)
        let other = try await PostgresTestStore.make()
        let leading = Shared<String?>(nil)
        let release = Shared(false)
        let first = Task {
            try await a.lead("scheduler", check: .milliseconds(200)) {
                leading.withLock { $0 = "a" }
                while !Task.isCancelled, !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
                leading.withLock { $0 = nil }
            }
        }
        #expect(try await Self.eventually { leading.withLock { $0 } == "a" })
        #expect(try await b.lead("scheduler", check: .milliseconds(200)) { Issue.record("two leaders") } == false)
        // Another schema has a leader of its own.
        #expect(try await other.lead("scheduler", check: .milliseconds(200)) {} == true)
        // A leader that returns lets the standby lead.
        release.withLock { $0 = true }
        #expect(try await first.value == true)
        #expect(try await b.lead("scheduler", check: .milliseconds(200)) {} == true)

        // A leader whose session dies (terminated by the server) stops leading within its check, and b leads.
        release.withLock { $0 = false }
        let second = Task {
            try await a.lead("scheduler", check: .milliseconds(200)) {
                leading.withLock { $0 = "a" }
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                leading.withLock { $0 = nil }
            }
        }
        #expect(try await Self.eventually { leading.withLock { $0 } == "a" })
        try await Self.terminateLeader(schema: schema, name: "scheduler")
        let started = Date()
        #expect(try await second.value == true)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(leading.withLock { $0 } == nil)
        #expect(try await b.lead("scheduler", check: .milliseconds(200)) {} == true)
    }

    /// Ends the session holding leadership `name` in `schema` (as a crashed process or a cut connection would).
    static func terminateLeader(schema: String, name: String) async throws {
        guard let url = PostgresTestStore.url else { throw PostgresTestStore.Missing() }
        let configuration = PostgresConnection.Configuration(
            host: url.host ?? "127.0.0.1", port: url.port ?? 5432, username: url.user ?? "postgres",
            password: url.password, database: String(url.path.dropFirst()), tls: .disable)
        let logger = Logger(label: "terminate")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        try await connection.query("""
            SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
              AND objid::bigint = (hashtext(\(schema + "onramp.leader." + name))::bigint & 4294967295)
            """, logger: logger)
    }
}

/// A value several tasks read and change.
final class Shared<T: Sendable>: Sendable {
    private let value: Mutex<T>
    init(_ value: T) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}

/// The `--store` URL: what it names, and refusals that say which part to fix.
struct PostgresStoreLocationTests {
    @Test func readsEveryPartAndDefaultsToVerifyFull() throws {
        let l = try PostgresStoreLocation("postgres://onramp:pw@db.internal:6543/control?sslrootcert=/etc/ca.pem&schema=prod&pool=7",
                                          environment: [:])
        #expect(l.host == "db.internal" && l.port == 6543 && l.user == "onramp" && l.password == "pw")
        #expect(l.database == "control" && l.sslmode == .verifyFull && l.rootCertificate == "/etc/ca.pem")
        #expect(l.schema == "prod" && l.pool == 7)
        #expect(!l.redacted.contains("pw") && l.redacted.contains("schema=prod"))
        #expect(try PostgresStoreLocation(l.redacted, environment: ["PGPASSWORD": "pw"]) == l)
        let bare = try PostgresStoreLocation("postgresql://u@h/d?sslmode=disable", environment: ["PGPASSWORD": "secret"])
        #expect(bare.port == 5432 && bare.password == "secret" && bare.sslmode == .disable && bare.pool == 20)
    }

    @Test func refusalsNameThePart() {
        let cases: [(String, String)] = [
            ("postgres://h/d", "no user"), ("postgres://u@h", "no database"), ("postgres://u@/d", "no host"),
            ("postgres://u@h/d?sslmode=prefer", "sslmode is disable, require or verify-full"),
            ("postgres://u@h/d?pool=0", "pool is a number"), ("postgres://u@h/d?ssl=true", "unknown URL parameter ssl"),
            ("mysql://u@h/d", "not a postgres://"),
        ]
        for (text, expected) in cases {
            #expect(throws: PostgresStoreError.self, "\(text)") { try PostgresStoreLocation(text, environment: [:]) }
            do {
                _ = try PostgresStoreLocation(text, environment: [:])
            } catch {
                #expect("\(error)".contains(expected), "\(text): \(error)")
            }
        }
        #expect(throws: PostgresStoreError.self) {
            try PostgresStoreLocation("postgres://u@h/d?sslrootcert=/nonexistent.pem", environment: [:]).configuration()
        }
    }
}
