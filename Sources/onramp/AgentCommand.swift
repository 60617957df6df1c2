import ArgumentParser
import Foundation
import Logging
import OnrampAgent
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import ServiceLifecycle

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The edge agent: run a pipeline's source and steps here, spool the records on disk and push them to the "
            + "platform (outbound HTTPS only; docs/push.md).",
        subcommands: [AgentRunCommand.self, AgentEnrolCommand.self], defaultSubcommand: AgentRunCommand.self)
}

struct AgentEnrolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol",
        abstract: "Exchange the one-time enrolment token an admin made on the platform for this agent's push key (kept in "
            + "the spool folder).")
    @Option(help: "The platform's base URL (https://…).") var server: String
    @Option(help: "The enrolment token (one_…); default: $ONRAMP_ENROLMENT_TOKEN.") var token: String?
    @Option(help: "The spool folder the agent will use.") var spool = "onramp-spool"
    @Option(help: "PEM file of the CA certificates to trust instead of the system's.") var caFile: String?

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["ONRAMP_ENROLMENT_TOKEN"] else {
            throw ValidationError("give --token or ONRAMP_ENROLMENT_TOKEN")
        }
        umask(0o077)
        do {
            let id = try await Enrolment.enrol(server: server, token: token, caFile: caFile, spool: spool)
            print("enrolled as agent \(id); its key is in \(spool)/agent.json (owner-only)")
        } catch {
            report(error)
            throw ExitCode(1)
        }
    }
}

struct AgentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the agent (the default: onramp agent FILE …).")

    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "The pipeline file; its destination is onramp_push (omit with --remote-pipeline).") var file: String?
    @Flag(help: ArgumentHelp("Run the pipeline and schedule the platform gives this enrolled agent (and changes remotely), "
                             + "within --files, --expose-env and --egress-allow."))
    var remotePipeline = false
    @Option(help: ArgumentHelp("With --remote-pipeline (required): the folder its file paths resolve in and cannot leave; "
                               + "not / and not holding the spool."))
    var files: String?
    @Option(help: "With --remote-pipeline: environment variables (comma-separated) its ${env:NAME} may name; no other.")
    var exposeEnv = ""
    @Option(help: "With --remote-pipeline: private hosts, addresses or CIDRs (comma-separated) its connectors may reach.")
    var egressAllow = ""
    @Option(help: "The spool folder (records wait here until the platform has them; keep it on a local disk).")
    var spool = "onramp-spool"
    @Option(help: "Largest spool, MiB: when it is full the source waits.") var maxSpoolMb = 1024
    @Option(help: "Segments larger than this (KiB) are pushed in chunks of this size, resumed after a broken connection.")
    var pushChunkKb = 1024
    @Option(help: "Seconds between runs (omit with --once).") var every = 300.0
    @Flag(help: "One run, then push until the spool is empty, then exit (0 when the run did not fail).") var once = false
    @Option(help: "Seconds between heartbeats of an enrolled agent.") var heartbeatSeconds = 30.0

    func run() async throws {
        var logger = Logger(label: "onramp.agent")
        logger.logLevel = .info
        umask(0o077)
        let agent: EdgeAgent
        do {
            // A remote pipeline is chosen by the platform: its plugins must not run as the agent's user (the key).
            if remotePipeline { try pluginOptions.requireTenantIsolation() }
            let registry = try pluginOptions.registry()
            var options = EdgeAgent.Options(spoolDirectory: spool)
            var spec: PipelineSpec?
            if remotePipeline {
                guard file == nil else { throw ValidationError("give a pipeline file or --remote-pipeline, not both") }
                options.remote = try remotePolicy()
            } else {
                guard let file else { throw ValidationError("give the pipeline file (or --remote-pipeline)") }
                spec = try PipelineLoader.load(path: file, registry: registry)
            }
            options.maxSpoolBytes = Int64(maxSpoolMb) << 20
            options.every = once ? nil : every
            options.heartbeatSeconds = max(heartbeatSeconds, 0.2)
            options.chunkBytes = min(max(pushChunkKb, 1), 1 << 20) << 10
            agent = try EdgeAgent(spec: spec, registry: registry, resources: file.map(ConnectorResources.forPipeline) ?? ConnectorResources(), options: options,
                                  environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch let e as ValidationError {
            throw e
        } catch {
            report(error)
            throw ExitCode(2)
        }
        do {
            if once {
                try await agent.run()
                if agent.lastStatus == .failed { throw ExitCode(1) }
                return
            }
            let group = ServiceGroup(configuration: .init(services: [.init(service: agent)],
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch let e as ExitCode {
            throw e
        } catch {
            report(error)
            throw ExitCode(1)
        }
    }
}

extension AgentRunCommand {
    /// What a pipeline from the platform may reach on this machine.
    func remotePolicy() throws -> RemotePipeline.Policy {
        guard let files else { throw ValidationError("--remote-pipeline needs --files: the folder its file paths stay in") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: files, isDirectory: &isFolder), isFolder.boolValue,
              let root = realpath(files, nil).map({ p in defer { free(p) }; return String(cString: p) }) else {
            throw ValidationError("--files: \(files) is not a folder")
        }
        // The spool holds the agent's key and what it was given: a pipeline from the platform must not reach it.
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let spoolPath = realpath(spool, nil).map { p in defer { free(p) }; return String(cString: p) } ?? spool
        func inside(_ a: String, _ b: String) -> Bool { a == b || a.hasPrefix(b.hasSuffix("/") ? b : b + "/") }
        guard root != "/", !inside(spoolPath, root), !inside(root, spoolPath) else {
            throw ValidationError("--files: \(root) is / or holds the spool \(spoolPath) (or is inside it); give a folder "
                                  + "of the exports alone")
        }
        let environment = ProcessInfo.processInfo.environment
        var exposed: [String: String] = [:]
        for name in WorkerOptions.list(exposeEnv) {
            guard let value = environment[name] else { throw ValidationError("--expose-env: \(name) is not set") }
            exposed[name] = value
        }
        return RemotePipeline.Policy(filesRoot: root, environment: exposed,
                                     egress: EgressPolicy(allowed: WorkerOptions.list(egressAllow)))
    }
}
