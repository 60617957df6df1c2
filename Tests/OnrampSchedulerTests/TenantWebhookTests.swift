import Foundation
import OnrampCore
import OnrampEngine
import OnrampScheduler
import OnrampStore
import Synchronization
import Testing

/// A tenant's own webhook: sent for the run end states it names, signed with its bound secret, and not sent once
/// the secret no longer goes to the webhook's origin.
@Suite struct TenantWebhookTests {
    @Test func theTargetMustBeAnHTTPURLAndASecretBoundToItsOrigin() throws {
        let origins = ["HOOK": ["https://hooks.acme.test"], "FREE": [], "DB": ["postgres://db.acme.test"]]
        #expect(try WebhookTarget.check(url: "https://hooks.acme.test/onramp", secret: "${secret:HOOK}", origins: origins) == "HOOK")
        let cases: [(String, String, String, String)] = [
            ("ftp://hooks.acme.test/x", "${secret:HOOK}", "webhook.url", "url"),
            ("not a url", "${secret:HOOK}", "webhook.url", "url"),
            ("https://user:pw@hooks.acme.test/x", "${secret:HOOK}", "webhook.url", "url"),
            ("https://hoo\u{212A}s.acme.test/x", "${secret:HOOK}", "webhook.url", "url"),
            ("https://hooks.acme.test/x", "plain text", "webhook.secret", "secret"),
            ("https://hooks.acme.test/x", "${secret:HOOK}x", "webhook.secret", "secret"),
            ("https://hooks.acme.test/x", "${secret:NOPE}", "webhook.secret", "secret"),
            ("https://hooks.acme.test/x", "${secret:FREE}", "spec.secret_origin", "url"),
            ("https://evil.example/x", "${secret:HOOK}", "spec.secret_origin", "url"),
            ("https://hooks.acme.test@evil.example/x", "${secret:HOOK}", "webhook.url", "url"),
        ]
        for (url, secret, code, field) in cases {
            #expect(throws: OnrampError.self, "\(url) \(secret)") { try WebhookTarget.check(url: url, secret: secret, origins: origins) }
            do { try WebhookTarget.check(url: url, secret: secret, origins: origins) } catch {
                #expect(error.code == code && error.location == field, "\(url) \(secret): \(error)")
            }
        }
        let target = try WebhookTarget.resolve(url: "https://hooks.acme.test/onramp", secret: "${secret:HOOK}",
                                               secrets: ["HOOK": TenantSecret(value: "v", origins: ["https://hooks.acme.test"])])
        #expect(target.url == "https://hooks.acme.test/onramp" && target.secret == "v")
    }

    @Test func runsOfTheTenantAreSentForTheirEventsWithTheBoundSecret() async throws {
        let (dir, document) = try RunWorkerTests.setUp(rows: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryStore()
        let p = await store.savePipeline(tenantId: "acme", name: "copy", document: document, at: Date())
        await store.saveWebhook(WebhookRecord(tenantId: "acme", url: "https://hooks.acme.test/onramp", secret: "${secret:HOOK}",
                                              events: [.succeeded, .failed], enabled: true, updatedAt: Date()))
        let bound = Mutex(["https://hooks.acme.test"])
        let receiver = RunWorkerTests.Receiver()
        var options = RunWorker.Options(dataDirectory: dir.path)
        options.lease = 30
        let secrets: RunWorker.SecretResolver = { tenant in
            ["HOOK": TenantSecret(value: "hook-secret-\(tenant)", origins: bound.withLock { $0 })]
        }
        let notifier = RunWorkerTests.notifier(store, options, secrets: secrets, receiver: receiver)
        let worker = RunWorker(store: store, registry: RunWorkerTests.registry(), options: options, secrets: secrets,
                               notifier: notifier)
        let task = Task { try await worker.run() }
        let notifying = Task { try await notifier.run() }
        defer { task.cancel(); notifying.cancel() }
        func run(_ id: String) async throws {
            await store.enqueue(RunRecord(id: id, tenantId: "acme", pipelineId: p.pipelineId, pipelineVersion: 1, trigger: "manual",
                                          fullResync: true, createdAt: Date()))
            worker.wake()
            try await RunWorkerTests.waitUntil { await store.run(id: id)?.notice?.attempts ?? 0 >= 1 }
            try await RunWorkerTests.waitUntil { await store.run(id: id)?.notice?.owner == nil }
        }
        try await run("r1")
        let first = receiver.all
        #expect(first.map(\.0) == ["https://hooks.example.invalid/onramp", "https://hooks.acme.test/onramp"])
        #expect(first.last?.1 == "hook-secret-acme" && first.last?.2["run_id"] == "r1" && first.last?.2["state"] == "succeeded")

        // Not among its events: only the pipeline's own notify is sent.
        await store.saveWebhook(WebhookRecord(tenantId: "acme", url: "https://hooks.acme.test/onramp", secret: "${secret:HOOK}",
                                              events: [.failed], enabled: true, updatedAt: Date()))
        try await run("r2")
        #expect(receiver.all.count == 3)
        // The secret rebound elsewhere since the webhook was stored: not sent.
        await store.saveWebhook(WebhookRecord(tenantId: "acme", url: "https://hooks.acme.test/onramp", secret: "${secret:HOOK}",
                                              events: [.succeeded], enabled: true, updatedAt: Date()))
        bound.withLock { $0 = ["https://elsewhere.test"] }
        try await run("r3")
        #expect(receiver.all.map(\.0).suffix(2) == ["https://hooks.example.invalid/onramp", "https://hooks.example.invalid/onramp"])
        #expect(receiver.all.count == 4)
        // It is retried (the secret may be bound back), and the run says why it was not sent.
        let notice = await store.run(id: "r3")?.notice
        #expect(notice?.state != .delivered && notice?.sent == ["pipeline"], "\(String(describing: notice))")
        #expect(notice?.lastError?.contains("tenant webhook") == true && notice?.lastError?.contains("spec.secret_origin") == true)
    }

    /// A notice whose attempts never settle (each delivery outlasted its lease, or its notifier died) is given up once
    /// it is claimed past the last attempt, without another delivery.
    @Test func aNoticeThatNeverSettlesIsGivenUpAfterItsLastAttempt() async throws {
        let store = MemoryStore()
        let t0 = Date()
        await store.enqueue(RunRecord(id: "r1", tenantId: "acme", pipelineId: "p", pipelineVersion: 1, trigger: "manual", createdAt: t0))
        _ = await store.requestCancel(runId: "r1")
        var options = RunNotifier.Options()
        options.maxAttempts = 3
        options.lease = 60
        for i in 0..<3 { _ = await store.claimNotices(owner: "hung", now: t0.addingTimeInterval(1 + Double(i) * 61), lease: 60, limit: 1) }
        let sent = Mutex(0)
        let notifier = RunNotifier(store: store, options: options, targets: { _ in
            ([RunNotifier.Target(name: "tenant", notify: .init(url: "https://hooks.acme.test", secret: "s"))], [])
        }, delivery: { _, _, _ in sent.withLock { $0 += 1 }; return nil })
        #expect(await notifier.deliverDue(now: t0.addingTimeInterval(1 + 3 * 61)) == 1)
        let notice = await store.run(id: "r1")?.notice
        #expect(notice?.state == .abandoned && notice?.lastError?.contains("gave up after 3 attempts") == true, "\(String(describing: notice))")
        #expect(sent.withLock { $0 } == 0)
    }
}
