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
            + "platform (outbound HTTPS only; docs/push.md).")

    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "The pipeline file; its destination is onramp_push.") var file: String
    @Option(help: "The spool folder (records wait here until the platform has them; keep it on a local disk).")
    var spool = "onramp-spool"
    @Option(help: "Largest spool, MiB: when it is full the source waits.") var maxSpoolMb = 1024
    @Option(help: "Seconds between runs (omit with --once).") var every = 300.0
    @Flag(help: "One run, then push until the spool is empty, then exit (0 when the run did not fail).") var once = false

    func run() async throws {
        var logger = Logger(label: "onramp.agent")
        logger.logLevel = .info
        umask(0o077)
        let agent: EdgeAgent
        do {
            let registry = try pluginOptions.registry()
            let spec = try PipelineLoader.load(path: file, registry: registry)
            var options = EdgeAgent.Options(spoolDirectory: spool)
            options.maxSpoolBytes = Int64(maxSpoolMb) << 20
            options.every = once ? nil : every
            agent = try EdgeAgent(spec: spec, registry: registry, resources: .forPipeline(file), options: options,
                                  environment: ProcessInfo.processInfo.environment, logger: logger)
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
