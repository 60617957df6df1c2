import Foundation
import Logging
import OnrampCore
import OnrampScheduler
import OnrampStore
import OnrampStorePostgres
import OnrampStoreSQLite
import Synchronization

// control-plane: BENCH_TENANTS (10,000) tenants with BENCH_SCHEDULES (100,000) schedules on one PostgreSQL
// (ONRAMP_BENCH_POSTGRES) and, as the peer in the same run, on the embedded SQLite store. The scheduler's ticks are
// driven through BENCH_MINUTES (60) simulated minutes; then BENCH_CLAIMERS (16) workers claim and finish runs from
// the queue the hour left for BENCH_CLAIM_SECONDS (15).

/// What one backend did.
struct ControlPlaneFigures {
    var seedSeconds = 0.0
    var firstPassSeconds = 0.0
    var fires = 0
    var lateness: [Double] = []
    var slowestTick = 0.0
    var busySeconds = 0.0
    var claimsPerSecond = 0.0
    var transactions: Int?
    var databaseCPUSeconds: Double?
}

func benchControlPlane() async throws {
    let env = ProcessInfo.processInfo.environment
    func number(_ name: String, _ fallback: Int) -> Int { env[name].flatMap(Int.init) ?? fallback }
    let tenants = number("BENCH_TENANTS", 10_000), schedules = number("BENCH_SCHEDULES", 100_000)
    let minutes = number("BENCH_MINUTES", 60), claimers = number("BENCH_CLAIMERS", 16)
    let claimSeconds = Double(number("BENCH_CLAIM_SECONDS", 15))
    guard let url = env["ONRAMP_BENCH_POSTGRES"] else {
        print("control-plane: set ONRAMP_BENCH_POSTGRES (Benchmarks/run.sh control-plane starts a throwaway one)")
        return
    }
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    print("control-plane: \(tenants) tenants, \(schedules) schedules, \(minutes) simulated minutes, \(claimers) claimers")

    let schema = "bench_" + UUID().uuidString.prefix(8).lowercased()
    let location = try PostgresStoreLocation(url + (url.contains("?") ? "&" : "?") + "schema=\(schema)&pool=24")
    let postgres = try PostgresStore(configuration: try location.configuration(), schema: location.schema, logger: logger)
    let pool = Task { await postgres.run() }
    defer { pool.cancel() }
    try await postgres.migrate()
    let pg = try await controlPlane(postgres, "postgres", tenants, schedules, minutes, claimers, claimSeconds, logger,
                                    counters: { (transactions: pgCommits(url), cpu: postgresCPUSeconds()) })
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let sqlite = try await controlPlane(try SQLiteStore(path: dir.appendingPathComponent("onramp.sqlite").path), "sqlite",
                                        tenants, schedules, minutes, claimers, claimSeconds, logger, counters: nil)
    let hour = Double(minutes) * 60
    if let transactions = pg.transactions, let cpu = pg.databaseCPUSeconds {
        print(String(format: "postgres at steady state (the simulated %.0f s): %.1f transactions/s, database CPU %.2f%% of one core",
                     hour, Double(transactions) / hour, cpu / hour * 100))
    }
    print(String(format: "ratios postgres/sqlite: fire lateness p99 %.2f, claims/s %.2f", percentile(pg.lateness, 0.99)
                 / max(percentile(sqlite.lateness, 0.99), 1e-9), pg.claimsPerSecond / max(sqlite.claimsPerSecond, 1e-9)))
    let runSeconds = 60.0
    print(String(format: "one PostgreSQL feeds about %.0f worker slots busy with %.0f s runs (claims/s x run seconds)",
                 pg.claimsPerSecond * runSeconds, runSeconds))
}

/// Seeds `store`, drives the scheduler and the claimers, prints and returns the figures.
func controlPlane(_ store: any OnrampStore, _ name: String, _ tenants: Int, _ schedules: Int, _ minutes: Int, _ claimers: Int,
                  _ claimSeconds: Double, _ logger: Logger,
                  counters: (() -> (transactions: Int?, cpu: Double?))?) async throws -> ControlPlaneFigures {
    var figures = ControlPlaneFigures()
    let clock = ContinuousClock()
    // T0: a minute boundary; schedules made just before it, so the first pass only computes their next due times.
    let t0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.up) * 3600)
    let started = clock.now
    try await inParallel(tenants, width: 16) { t in
        _ = try await store.createTenant(TenantRecord(id: "t\(t)", name: "Tenant \(t)", createdAt: t0))
    }
    let zones = ["UTC", "UTC", "UTC", "Europe/Berlin", "America/New_York"]
    try await inParallel(schedules, width: 16) { i in
        let tenant = "t\(i % tenants)"
        let pipeline = try await store.savePipeline(tenantId: tenant, name: "orders-\(i)", document: ["version": 1],
                                                    at: t0.addingTimeInterval(-10))
        // 5% at the top of the hour, 15% every quarter hour, the rest hourly at a minute of their own.
        let cron = i % 20 == 0 ? "0 * * * *" : i % 20 < 4 ? "*/15 * * * *" : "\((i &* 7919) % 60) * * * *"
        try await store.saveSchedule(ScheduleRecord(id: "s\(i)", tenantId: tenant, pipelineId: pipeline.pipelineId,
                                                    cron: cron, timezone: zones[i % zones.count], enabled: true,
                                                    createdAt: t0.addingTimeInterval(-1)))
    }
    figures.seedSeconds = seconds(clock.now - started)

    let fired = Mutex<[Double]>([])
    let tickStart = Mutex(clock.now)
    let scheduler = ScheduleService(store: store, logger: logger) {
        let late = seconds(clock.now - tickStart.withLock { $0 })
        fired.withLock { $0.append(late) }
    }
    let firstPass = clock.now
    await scheduler.tick(now: t0.addingTimeInterval(-0.5))
    figures.firstPassSeconds = seconds(clock.now - firstPass)
    let before = counters?()
    for m in 0..<minutes {
        let begun = clock.now
        tickStart.withLock { $0 = begun }
        await scheduler.tick(now: t0.addingTimeInterval(Double(m) * 60))
        let took = seconds(clock.now - begun)
        figures.busySeconds += took
        figures.slowestTick = max(figures.slowestTick, took)
    }
    let after = counters?()
    if let q0 = before?.transactions, let q1 = after?.transactions { figures.transactions = q1 - q0 }
    if let c0 = before?.cpu, let c1 = after?.cpu { figures.databaseCPUSeconds = c1 - c0 }
    figures.lateness = fired.withLock { $0 }.sorted()
    figures.fires = figures.lateness.count

    // Workers: claim, then finish, as fast as the store lets them, with the queue the hour left.
    let claimed = Atomic<Int>(0)
    let deadline = clock.now.advanced(by: .seconds(claimSeconds))
    let policy = ClaimPolicy(lease: 30, perTenantLimit: 2)
    let claimStart = clock.now
    try await inParallel(claimers, width: claimers) { w in
        while clock.now < deadline {
            let now = Date()
            guard let run = try await store.claim(worker: "w\(w)", now: now, policy: policy), let fence = run.fence else { break }
            _ = try await store.finish(fence, state: .succeeded, summary: [:], at: now)
            claimed.add(1, ordering: .relaxed)
        }
    }
    figures.claimsPerSecond = Double(claimed.load(ordering: .relaxed)) / seconds(clock.now - claimStart)
    print(String(format: "%@: seeded in %.1f s; first pass over every schedule %.2f s; %d fires in %d minutes, lateness "
                 + "p50 %.3f s p99 %.3f s max %.3f s; slowest tick %.2f s, scheduler busy %.1f s of %d; %.0f claims/s "
                 + "(claim + finish, %d claimers)", name, figures.seedSeconds, figures.firstPassSeconds, figures.fires,
                 minutes, percentile(figures.lateness, 0.5), percentile(figures.lateness, 0.99), figures.lateness.last ?? 0,
                 figures.slowestTick, figures.busySeconds, minutes * 60, figures.claimsPerSecond, claimers))
    return figures
}

/// Runs `body(0..<count)` with at most `width` at once.
func inParallel(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        while next < min(width, count) { let i = next; group.addTask { try await body(i) }; next += 1 }
        while try await group.next() != nil, next < count { let i = next; group.addTask { try await body(i) }; next += 1 }
        try await group.waitForAll()
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Transactions committed in the benchmark's database so far (pg_stat_database, through psql).
func pgCommits(_ url: String) -> Int? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["psql", url.components(separatedBy: "?")[0], "-AtXc",
                   "SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"]
    let pipe = Pipe()
    p.standardOutput = pipe
    do { try p.run() } catch { return nil }
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
}

/// CPU seconds (user + system) of every postgres process on this machine: the throwaway server's.
func postgresCPUSeconds() -> Double? {
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
    var ticks = 0
    for pid in pids where pid.allSatisfy(\.isNumber) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
              stat[stat.index(after: open)..<close] == "postgres" else { continue }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        ticks += (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
    return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
