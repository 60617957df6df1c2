import ArgumentParser
import Foundation
import Logging
import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampEngine
import OnrampScheduler
import OnrampServer
import OnrampCore
import OnrampStore
import OnrampStoreS3
import ServiceLifecycle

/// What executes runs in a process (`serve`, `worker`): the worker pool with its child-process executor, the webhook
/// notifier, and the keys and quota they share with the API.
struct RunServices {
    let worker: RunWorker
    let notifier: RunNotifier
    let policy: TenantPolicy
    let quota: TenantQuota
    let box: SecretBox
    let artifacts: RunArtifacts
    let cgroups: Cgroups?
    let registry: ConnectorRegistry

    static func build(_ options: WorkerOptions, plugins: PluginOptions, data: String, opened: OpenedStore,
                      logger: Logger) async throws -> RunServices {
        let store = opened.store
        let policy = try options.tenantPolicy(data: data)
        // Each tenant's file area, measured once here (and upload temporaries a killed process left removed).
        let quota = TenantQuota(limit: options.tenantQuotaMb << 20)
        let swept = quota.reconcile(dataDirectory: data)
        if swept > 0 { logger.info("removed unfinished uploads", metadata: ["count": "\(swept)"]) }
        let cgroups = Cgroups.detect(parentName: options.cgroupParent, logger: logger)
        try plugins.requireTenantIsolation()
        let registry = try plugins.registry()
        let webhooks = try WebhookNotifier(egress: policy.egress)
        let ring = try await options.keys.ring(data: data)
        let box = SecretBox(ring: ring)
        let secrets = SecretResolution(store: store, box: box)
        let objects = try options.artifacts.map { url in
            do {
                return try S3ArtifactStore(url: url, environment: ProcessInfo.processInfo.environment,
                                           maxObjectBytes: Int64(options.runMaxOutputMb) << 20 + (64 << 20))
            } catch let e as OnrampError {
                throw ValidationError("--artifacts: \(e.message)")
            }
        }
        // The role would be every tenant's: their S3 connectors could write over other tenants' artifacts.
        if objects?.usesInstanceRole == true, options.allowInstanceCredentials {
            throw ValidationError("--artifacts signs with the instance role here, which --allow-instance-credentials "
                                  + "hands to tenants' S3 connectors: give the object store its own keys "
                                  + "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or drop one of the two")
        }
        let artifacts = RunArtifacts(sealer: ArtifactSealer(ring: ring), objects: objects)
        let pushed = PushBatchFiles(dataDirectory: data, artifacts: artifacts)
        let resolver = RunResolver(store: store, registry: registry, policy: policy, secrets: secrets.resolve)
        let notifier = RunNotifier(store: store, logger: logger, targets: resolver.noticeTargets,
                                   delivery: webhooks.deliver)
        let executor = ChildProcessRunExecutor(storeArguments: opened.childArguments + plugins.childArguments,
                                               environment: opened.childEnvironment, cgroups: cgroups)
        let worker = RunWorker(store: store, registry: registry,
                               options: options.runWorker(data: data, policy: policy, quota: quota), logger: logger,
                               executor: executor, secrets: secrets.resolve,
                               sealArtifact: { try await artifacts.seal(run: $0, attempt: $1, key: $2, path: $3) },
                               errorQueue: ErrorQueueService(store: store, box: box, maxPerRun: options.errorQueueCap),
                               notifier: notifier, unsealBatch: { try await pushed.unseal($0, to: $1) })
        return RunServices(worker: worker, notifier: notifier, policy: policy, quota: quota, box: box,
                           artifacts: artifacts, cgroups: cgroups, registry: registry)
    }

    /// Refuses to start on an object store that does not answer (a missing bucket, denied keys).
    func checkArtifacts(logger: Logger) async throws {
        guard let objects = artifacts.objects else { return }
        do { try await objects.check() } catch let e as OnrampError {
            throw ValidationError("--artifacts \(objects.location): \(e.message)")
        }
        logger.info("run artifacts go to the object store", metadata: ["location": "\(objects.location)"])
    }

    /// On a shared store: the service that wakes this process's workers (and `scheduler`) on others' changes.
    func wakeups(_ opened: OpenedStore, scheduler: ScheduleService?, logger: Logger) -> StoreWakeups? {
        guard let shared = opened.shared else { return nil }
        let worker = worker
        return StoreWakeups(shared: shared, logger: logger) { topic in
            switch topic {
            case .runs: worker.wake()
            case .schedules: scheduler?.wake()
            }
        }
    }
}
