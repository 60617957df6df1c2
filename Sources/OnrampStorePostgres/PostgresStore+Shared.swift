import Foundation
import Logging
import OnrampStore
import PostgresNIO
import Synchronization

/// Changes announced with NOTIFY on one channel (the payload names the schema and the topic, so stores in other
/// schemas of the same database ignore them), and leaders elected by session advisory locks.
extension PostgresStore: SharedStore {
    static let channel = "onramp_changes"

    /// Announces `topic` when the transaction on `c` commits (at once outside one).
    static func announce(_ topic: StoreTopic, on c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query("SELECT pg_notify(\(channel), current_schema() || ':' || \(topic.rawValue))", logger: logger)
    }

    func announce(_ topic: StoreTopic) async throws {
        try await client.query("SELECT pg_notify(\(Self.channel), current_schema() || ':' || \(topic.rawValue))",
                               logger: logger)
    }

    public func listen(_ changed: @escaping @Sendable (StoreTopic) -> Void) async throws {
        try await client.withConnection { c in
            let schema = try await rows("SELECT current_schema() AS s", on: c).first?.text("s") ?? "public"
            try await c.listen(on: Self.channel) { notifications in
                for try await n in notifications {
                    let parts = n.payload.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, parts[0] == schema, let topic = StoreTopic(rawValue: parts[1]) else { continue }
                    changed(topic)
                }
            }
        }
    }

    public func lead(_ name: String, check: Duration, _ body: @escaping @Sendable () async -> Void) async throws -> Bool {
        try await client.withConnection { c in
            let key = "onramp.leader.\(name)"
            let got = try await rows("SELECT pg_try_advisory_lock(hashtext(current_schema() || \(key))) AS got", on: c)
            guard try got.first?.bool("got") == true else { return false }
            let logger = self.logger
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await body() }
                group.addTask {
                    // The lock lives as long as this session: a check that fails or does not answer in time ends
                    // the leadership here (the server drops the lock when the session goes).
                    while !Task.isCancelled {
                        try? await Task.sleep(for: check)
                        if Task.isCancelled { return }
                        let answered = await Self.within(check) { _ = try await c.query("SELECT 1", logger: logger) }
                        if !answered { return }
                    }
                }
                await group.next()
                group.cancelAll()
            }
            // A session that cannot unlock is closed, so the lock never goes back into the pool with it.
            let unlocked = await Self.within(check) {
                _ = try await c.query("SELECT pg_advisory_unlock(hashtext(current_schema() || \(key)))", logger: logger)
            }
            if !unlocked { try? await c.close() }
            return true
        }
    }

    /// True when `work` finished without an error within `limit` (a `work` that hangs is left behind, not awaited).
    static func within(_ limit: Duration, _ work: @escaping @Sendable () async throws -> Void) async -> Bool {
        let once = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        let finish: @Sendable (Bool) -> Void = { ok in once.withLock { $0.take() }?.resume(returning: ok) }
        return await withCheckedContinuation { continuation in
            once.withLock { $0 = continuation }
            Task { finish((try? await work()) != nil) }
            Task {
                try? await Task.sleep(for: limit)
                finish(false)
            }
        }
    }
}
