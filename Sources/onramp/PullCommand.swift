import ArgumentParser
import Foundation
import OnrampCore
import OnrampDeploy

/// `onramp pull --server URL --tenant T [--pipeline P] [--dir DIR]`: writes the tenant's pipelines, connections,
/// templates and schedules as files (docs/pipelines-as-code.md). Secret values are never fetched.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Write a tenant's pipelines, connections, templates and schedules from a server as YAML files.")
    @OptionGroup var options: DeployServerOptions
    @Option(help: "Only this pipeline and its schedules.") var pipeline: String?
    @Option(help: "The directory to write (default: the current one).") var dir: String = "."

    func run() async throws {
        let client: DeployClient
        do { client = try options.client() } catch {
            report(error)
            throw ExitCode(1)
        }
        do {
            let state = try await client.state(pipeline: pipeline)
            await client.shutdown()
            let files = try DeployLayout.files(state)
            var removed = try DeployLayout.write(files, to: dir, removeStale: pipeline == nil)
            if let pipeline, state.schedules[pipeline] == nil {
                let stale = "schedules/" + DeployLayout.fileName(pipeline)
                if FileManager.default.fileExists(atPath: dir + "/" + stale) {
                    try FileManager.default.removeItem(atPath: dir + "/" + stale)
                    removed.append(stale)
                }
            }
            let schedules = state.schedules.values.map(\.count).reduce(0, +)
            print("pulled tenant \(options.tenant) into \(dir): \(state.pipelines.count) pipelines, "
                  + "\(state.connections.count) connections, \(state.templates.count) templates, \(schedules) schedules "
                  + "(\(files.count) files)")
            for path in removed { print("removed \(path) (not on the server)") }
        } catch {
            await client.shutdown()
            report(error)
            throw ExitCode(1)
        }
    }
}
