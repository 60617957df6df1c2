import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import NIOSSL
import Logging
import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampEngine
import OnrampScheduler
import OnrampServer
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the control plane: REST API, web UI, scheduler and run workers (SQLite, or a shared PostgreSQL).")
    @OptionGroup var pluginOptions: PluginOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var workerOptions: WorkerOptions
    @Option(help: "Data directory (keys, run artifacts, tenants' files; the SQLite file).")
    var data = ProcessInfo.processInfo.environment["ONRAMP_DATA"] ?? "onramp-data"
    @Option var host = "127.0.0.1"
    @Option var port = 8080
    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Time limit of a preview, seconds.") var previewSeconds = 10.0
    @Option(help: "Memory limit of a preview's process, MiB.") var previewMemoryMb = 1024
    @Flag(help: "Behind a TLS-terminating proxy: trust X-Forwarded-Proto (Secure cookies, HSTS) and X-Forwarded-For.")
    var trustProxy = false
    @Option(help: "Largest file accepted by an upload to a tenant's file area, in bytes.")
    var maxUploadBytes: Int64 = 256 << 20
    @Option(help: "Largest pushed batch, MiB as sent.") var pushMaxBatchMb = 64
    @Option(help: "Bytes of pushed batches a tenant may have waiting for a run, MiB; past it pushes get 429.")
    var pushMaxPendingMb = 2048
    @Option(help: "Pushes a second per tenant on average (and --push-burst at once).") var pushRate = 20.0
    @Option var pushBurst = 40.0

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
        guard pushMaxBatchMb > 0, pushMaxPendingMb > 0, pushRate > 0, pushBurst >= 1 else {
            throw ValidationError("--push-max-batch-mb, --push-max-pending-mb and --push-rate must be positive, --push-burst at least 1")
        }
        var logger = Logger(label: "onramp")
        logger.logLevel = .info
        // Everything this process creates (data directory, database, run files) is owner-only.
        umask(0o077)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // SQLite: this server alone. A shared store: other servers and workers may use the directory too.
        let lock = try DataDirectoryLock(directory: data, shared: storeOptions.isShared)
        defer { lock.release() }
        let opened = try await OpenedStore.open(storeOptions.store, data: data, migrate: true, logger: logger)
        defer { opened.close() }
        let store = opened.store
        let runs = try await RunServices.build(workerOptions, plugins: pluginOptions, data: data, opened: opened, logger: logger)
        try await runs.checkArtifacts(logger: logger)
        let worker = runs.worker
        let scheduler = ScheduleService(store: store, logger: logger, shared: opened.shared) { worker.wake() }
        var api = OnrampAPI(store: store, registry: runs.registry, worker: worker, scheduler: scheduler,
                            secretBox: runs.box, dataDirectory: data)
        api.policy = runs.policy
        api.previews = ChildProcessPreviewExecutor(arguments: pluginOptions.childArguments, cgroups: runs.cgroups)
        api.previewSeconds = previewSeconds
        api.previewMemoryMiB = previewMemoryMb
        let environment = ProcessInfo.processInfo.environment
        api.metrics = try MetricsExport.endpoint(store: store, environment: environment)
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
        api.quota = runs.quota
        api.artifacts = runs.artifacts
        api.pushLimits.maxBatchBytes = Int64(pushMaxBatchMb) << 20
        api.pushLimits.maxPendingBytes = Int64(pushMaxPendingMb) << 20
        api.pushLimits.rate = pushRate
        api.pushLimits.burst = pushBurst
        let swept = api.pushFiles.sweepIncoming(olderThan: 3600)
        if swept > 0 { logger.info("removed pushed batches a stopped server had not finished receiving", metadata: ["count": "\(swept)"]) }
        let abandoned = api.sweepUploads()
        if abandoned > 0 { logger.info("removed abandoned chunked uploads", metadata: ["count": "\(abandoned)"]) }
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
        var services: [any Service] = [app, worker, scheduler, runs.notifier]
        if let wakeups = runs.wakeups(opened, scheduler: scheduler, logger: logger) { services.append(wakeups) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
