import ArgumentParser
import Foundation
import Hummingbird
import Logging
import OnrampScheduler
import OnrampServer
import ServiceLifecycle

/// `onramp worker`: runs only, on a shared store. It joins and leaves at any time; on SIGTERM it claims nothing more
/// and hands its running runs back (after `--shutdown-grace`), then exits.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run tenants' runs from a shared PostgreSQL store (no API); scale out by starting more.")
    @OptionGroup var pluginOptions: PluginOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var workerOptions: WorkerOptions
    @Option(help: "Data directory (keys, run artifacts, tenants' files): the servers' own, shared.")
    var data = ProcessInfo.processInfo.environment["ONRAMP_DATA"] ?? "onramp-data"
    @Option(help: "Address for /healthz, /readyz (503 while draining) and /metrics.") var host = "127.0.0.1"
    @Option(help: "Port for /healthz, /readyz and /metrics (none when not given).") var port: Int?

    func validate() throws {
        guard storeOptions.isShared else {
            throw ValidationError("onramp worker needs a shared store: --store postgres://… (SQLite is serve's alone)")
        }
        guard workerOptions.workers > 0 else { throw ValidationError("--workers must be 1 or more") }
    }

    func run() async throws {
        var logger = Logger(label: "onramp.worker")
        logger.logLevel = .info
        umask(0o077)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let lock = try DataDirectoryLock(directory: data, shared: true)
        defer { lock.release() }
        let opened = try await OpenedStore.open(storeOptions.store, data: data, migrate: true, logger: logger)
        defer { opened.close() }
        let runs = try await RunServices.build(workerOptions, plugins: pluginOptions, data: data, opened: opened, logger: logger)
        try await runs.checkArtifacts(logger: logger)
        var services: [any Service] = [runs.worker, runs.notifier]
        if let wakeups = runs.wakeups(opened, scheduler: nil, logger: logger) { services.append(wakeups) }
        if let port {
            let metrics = try MetricsExport.endpoint(store: opened.store, environment: ProcessInfo.processInfo.environment)
            let worker = runs.worker
            let router = Router()
            router.get("/healthz") { _, _ in "ok\n" }
            router.get("/readyz") { _, _ -> Response in
                Response(status: worker.isDraining ? .serviceUnavailable : .ok,
                         body: .init(byteBuffer: ByteBuffer(string: worker.isDraining ? "draining\n" : "ready\n")))
            }
            router.get("/metrics") { request, _ in try await metrics.respond(to: request) }
            services.insert(Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                                        logger: logger), at: 0)
        }
        logger.info("worker started", metadata: ["worker": "\(runs.worker.options.workerId)",
                                                 "slots": "\(workerOptions.workers)"])
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}
