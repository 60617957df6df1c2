import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import NIOSSL
import Logging
import Metrics
import Prometheus
import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampEngine
import OnrampScheduler
import OnrampServer
import OnrampStoreSQLite
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the control plane: REST API and run workers on an embedded SQLite store.")
    @OptionGroup var pluginOptions: PluginOptions
    @Option(help: "Data directory (SQLite file, run artifacts).") var data = ProcessInfo.processInfo.environment["ONRAMP_DATA"] ?? "onramp-data"
    @Option var host = "127.0.0.1"
    @Option var port = 8080
    @Option(help: "Runs executed at once by this process.") var workers = 2
    @Option(help: "Runs of one tenant executed at once (across all workers).") var tenantLimit = 2
    @Option(help: "Seconds a worker holds a run between heartbeats before another may take it over.") var lease = 30.0
    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Environment variables pipelines may read with ${env:NAME} (comma-separated); no other is readable.")
    var exposeEnv: String = ""
    @Flag(help: "Let tenants' connectors reach loopback and private addresses (link-local/metadata stay refused).")
    var allowPrivateEgress = false
    @Option(help: "Hosts, addresses or CIDR blocks tenants may reach even when private (comma-separated).")
    var egressAllow: String = ""
    @Flag(help: "Let S3 connectors with no keys in their config sign with this machine's EC2 instance role.")
    var allowInstanceCredentials = false
    @Flag(help: "Let secrets stored without origins go wherever a connection sends them (data from before origins).")
    var allowUnboundSecrets = false
    @Option(help: "A read-only folder a tenant's pipelines may read besides its file area: TENANT=PATH (repeatable).")
    var tenantMount: [String] = []
    @Option(help: "Attempts a run gets before it ends failed.") var maxAttempts = 3
    @Option(help: "Memory limit of a run's process, MiB.") var runMemoryMb = 4096
    @Option(help: "Wall-clock limit of a run attempt, seconds.") var runTimeout = 3600.0
    @Option(help: "Records a run may read.") var runMaxRecords = 50_000_000
    @Option(help: "Bytes a run may write (results, error reports, files), MiB.") var runMaxOutputMb = 10240
    @Option(help: "Time limit of a preview, seconds.") var previewSeconds = 10.0
    @Option(help: "Memory limit of a preview's process, MiB.") var previewMemoryMb = 1024
    @Option(help: "Seconds running runs may go on after SIGTERM before they are handed back.") var shutdownGrace = 0.0
    @Flag(help: "Behind a TLS-terminating proxy: trust X-Forwarded-Proto (Secure cookies, HSTS) and X-Forwarded-For.")
    var trustProxy = false
    @Option(help: "Largest file accepted by an upload to a tenant's file area, in bytes.")
    var maxUploadBytes: Int64 = 256 << 20
    @Option(help: "A cgroup (v1) delegated to this server, relative to each hierarchy; each worker gets one below it.")
    var cgroupParent: String?
    @Option(help: "Bytes each tenant's file area may hold (uploads and run outputs), MiB.")
    var tenantQuotaMb: Int64 = 10240
    @Option(help: "Failed records of one run kept in the error queue (the error report keeps them all).")
    var errorQueueCap = ErrorQueueService.defaultMaxPerRun

    /// Refuses to start with an admin key a guess could find (`ONRAMP_ADMIN_KEY` under 32 characters).
    static func checkAdminKey(_ environment: [String: String]) throws {
        guard let key = environment["ONRAMP_ADMIN_KEY"], key.count < OnrampAPI.minimumAdminKeyLength else { return }
        let message = "onramp serve: ONRAMP_ADMIN_KEY has \(key.count) characters; it needs at least "
            + "\(OnrampAPI.minimumAdminKeyLength) (for example: openssl rand -base64 32). Not started.\n"
        FileHandle.standardError.write(Data(message.utf8))
        throw ExitCode(2)
    }

    func run() async throws {
        try Self.checkAdminKey(ProcessInfo.processInfo.environment)
        guard maxUploadBytes > 0 else { throw ValidationError("--max-upload-bytes must be positive") }
        guard (1...(1 << 40)).contains(tenantQuotaMb) else {
            throw ValidationError("--tenant-quota-mb must be from 1 to 2^40")
        }
        guard errorQueueCap >= 0 else { throw ValidationError("--error-queue-cap must be 0 or more") }
        var logger = Logger(label: "onramp")
        logger.logLevel = .info
        // Everything this process creates (data directory, database, run files) is owner-only.
        umask(0o077)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lock = try DataDirectoryLock(directory: data)
        defer { lock.release() }
        let store = try SQLiteStore(path: "\(data)/onramp.sqlite")
        let policy = try tenantPolicy()
        var options = RunWorker.Options(dataDirectory: data, policy: policy)
        options.concurrency = workers
        options.perTenantLimit = tenantLimit
        options.lease = lease
        options.maxAttempts = maxAttempts
        options.shutdownGrace = shutdownGrace
        options.limits.memoryMiB = runMemoryMb
        options.limits.wallSeconds = runTimeout
        options.limits.maxRecordsRead = runMaxRecords
        options.limits.maxOutputBytes = Int64(runMaxOutputMb) << 20
        // Each tenant's file area, measured once here (and upload temporaries a killed server left removed).
        let quota = TenantQuota(limit: tenantQuotaMb << 20)
        let swept = quota.reconcile(dataDirectory: data)
        if swept > 0 { logger.info("removed unfinished uploads", metadata: ["count": "\(swept)"]) }
        options.quota = quota
        let cgroups = Cgroups.detect(parentName: cgroupParent, logger: logger)
        let registry = try pluginOptions.registry()
        let webhooks = try WebhookNotifier(egress: policy.egress)
        let ring = try KeyRing.load(directory: data)
        let box = SecretBox(ring: ring)
        let secrets = SecretResolution(store: store, box: box)
        let artifacts = ArtifactSealer(ring: ring)
        let resolver = RunResolver(store: store, registry: registry, policy: policy, secrets: secrets.resolve)
        let notifier = RunNotifier(store: store, logger: logger, targets: resolver.noticeTargets, delivery: webhooks.deliver)
        let worker = RunWorker(store: store, registry: registry, options: options, logger: logger,
                               executor: ChildProcessRunExecutor(storeArguments: ["--data", data] + pluginOptions.childArguments,
                                                                 cgroups: cgroups),
                               secrets: secrets.resolve,
                               sealArtifact: { path, context in try artifacts.seal(path: path, context: context) },
                               errorQueue: ErrorQueueService(store: store, box: box, maxPerRun: errorQueueCap), notifier: notifier)
        let scheduler = ScheduleService(store: store, logger: logger) { worker.wake() }
        var api = OnrampAPI(store: store, registry: registry, worker: worker, scheduler: scheduler, secretBox: box, dataDirectory: data)
        api.policy = policy
        api.previews = ChildProcessPreviewExecutor(arguments: pluginOptions.childArguments, cgroups: cgroups)
        api.previewSeconds = previewSeconds
        api.previewMemoryMiB = previewMemoryMb
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        api.metricsText = {
            var buffer: [UInt8] = []
            prometheus.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        let environment = ProcessInfo.processInfo.environment
        let adminEmail = environment["ONRAMP_ADMIN_EMAIL"] ?? "admin@localhost"
        if let password = try await api.bootstrapAdminUser(email: adminEmail, password: environment["ONRAMP_ADMIN_PASSWORD"]) {
            let line = environment["ONRAMP_ADMIN_PASSWORD"] == nil ? "created the platform admin \(adminEmail) with password (shown once): \(password)\n"
                : "created the platform admin \(adminEmail) with the password from ONRAMP_ADMIN_PASSWORD\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let fromEnvironment = environment["ONRAMP_ADMIN_KEY"]
        if let secret = try await api.bootstrapAdminKey(secret: fromEnvironment) {
            let line = fromEnvironment == nil ? "created the platform admin API key (shown once): \(secret)\n"
                : "created the platform admin API key from ONRAMP_ADMIN_KEY\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        api.secureCookies = tlsCert != nil
        api.trustProxy = trustProxy
        api.maxUploadBytes = maxUploadBytes
        api.quota = quota
        api.artifacts = artifacts
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port))
        let app: any Service
        switch (tlsCert, tlsKey) {
        case let (cert?, key?):
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            app = Application(router: api.buildRouter(), server: try .tls(.http1(), tlsConfiguration: tls), configuration: configuration, logger: logger)
        case (nil, nil):
            app = Application(router: api.buildRouter(), configuration: configuration, logger: logger)
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        let group = ServiceGroup(configuration: .init(services: [app, worker, scheduler, notifier], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The tenant boundary from the flags: exposed variables, read-only mounts, egress.
    func tenantPolicy() throws -> TenantPolicy {
        let environment = ProcessInfo.processInfo.environment
        var exposed: [String: String] = [:]
        for name in Self.list(exposeEnv) {
            guard let value = environment[name] else { throw ValidationError("--expose-env: \(name) is not set") }
            exposed[name] = value
        }
        var mounts: [String: [String]] = [:]
        for m in tenantMount {
            let parts = m.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("/") else { throw ValidationError("--tenant-mount takes TENANT=/absolute/path") }
            mounts[parts[0], default: []].append(parts[1])
        }
        return TenantPolicy(dataDirectory: data, exposedEnvironment: exposed, readOnlyRoots: mounts,
                            egress: EgressPolicy(allowPrivate: allowPrivateEgress, allowed: Self.list(egressAllow),
                                                 instanceCredentials: allowInstanceCredentials),
                            allowUnboundSecrets: allowUnboundSecrets)
    }

    static func list(_ s: String) -> [String] {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
