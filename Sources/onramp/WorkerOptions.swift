import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampEngine
import OnrampScheduler
import OnrampServer

/// How a process runs tenants' runs (`serve` and `worker`): how many at once, their leases and limits, and the
/// tenant boundary (what a tenant's pipeline may read and reach).
struct WorkerOptions: ParsableArguments {
    @Option(help: "Runs executed at once by this process (serve: 0 for an API-only node).") var workers = 2
    @Option(help: "Runs of one tenant executed at once (across all workers).") var tenantLimit = 2
    @Option(help: "Seconds a worker holds a run between heartbeats before another may take it over.") var lease = 30.0
    @Option(help: "Attempts a run gets before it ends failed.") var maxAttempts = 3
    @Option(help: "Memory limit of a run's process, MiB.") var runMemoryMb = 4096
    @Option(help: "Wall-clock limit of a run attempt, seconds.") var runTimeout = 3600.0
    @Option(help: "Records a run may read.") var runMaxRecords = 50_000_000
    @Option(help: "Bytes a run may write (results, error reports, files), MiB.") var runMaxOutputMb = 10240
    @Option(help: "Seconds running runs may go on after SIGTERM before they are handed back.") var shutdownGrace = 0.0
    @Option(help: "A cgroup (v1) delegated to this process, relative to each hierarchy; each run gets one below it.")
    var cgroupParent: String?
    @Option(help: "Failed records of one run kept in the error queue (the error report keeps them all).")
    var errorQueueCap = ErrorQueueService.defaultMaxPerRun
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
    @Option(help: "Bytes each tenant's file area may hold (uploads and run outputs), MiB.")
    var tenantQuotaMb: Int64 = 10240
    @Option(help: ArgumentHelp(
        "Where sealed run artifacts go: s3://BUCKET/PREFIX?region=R&endpoint=URL (credentials: AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY, else the instance role); without it, the data directory.", valueName: "URL"))
    var artifacts: String? = ProcessInfo.processInfo.environment["ONRAMP_ARTIFACTS"]
    @OptionGroup var keys: KeyOptions

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("--workers must be 0 or more") }
        guard lease > 0 else { throw ValidationError("--lease must be positive") }
        guard (1...(1 << 40)).contains(tenantQuotaMb) else {
            throw ValidationError("--tenant-quota-mb must be from 1 to 2^40")
        }
        guard errorQueueCap >= 0 else { throw ValidationError("--error-queue-cap must be 0 or more") }
    }

    /// The tenant boundary from the flags: exposed variables, read-only mounts, egress.
    func tenantPolicy(data: String) throws -> TenantPolicy {
        let environment = ProcessInfo.processInfo.environment
        var exposed: [String: String] = [:]
        for name in Self.list(exposeEnv) {
            guard let value = environment[name] else { throw ValidationError("--expose-env: \(name) is not set") }
            exposed[name] = value
        }
        var mounts: [String: [String]] = [:]
        for m in tenantMount {
            let parts = m.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("/") else {
                throw ValidationError("--tenant-mount takes TENANT=/absolute/path")
            }
            mounts[parts[0], default: []].append(parts[1])
        }
        return TenantPolicy(dataDirectory: data, exposedEnvironment: exposed, readOnlyRoots: mounts,
                            egress: EgressPolicy(allowPrivate: allowPrivateEgress, allowed: Self.list(egressAllow),
                                                 instanceCredentials: allowInstanceCredentials),
                            allowUnboundSecrets: allowUnboundSecrets)
    }

    /// The run worker's options for a process on `data`.
    func runWorker(data: String, policy: TenantPolicy, quota: TenantQuota) -> RunWorker.Options {
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
        options.quota = quota
        return options
    }

    static func list(_ s: String) -> [String] {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
