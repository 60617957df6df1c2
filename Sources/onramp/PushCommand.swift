import ArgumentParser
import Foundation
import OnrampCore
import OnrampDeploy

/// `onramp push DIR --server URL --tenant T [--apply] [--prune] [--check]`: prints the plan that makes the server hold
/// DIR, checks all of it on the server, and applies it only with `--apply` (docs/pipelines-as-code.md).
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract:
            "Plan (and with --apply, apply) a directory of pipelines, connections, templates and schedules to a server."
    )
    @Argument(help: "The directory, as `onramp pull` writes it.") var dir: String
    @OptionGroup var options: DeployServerOptions
    @Flag(help: "Apply the plan (without it nothing changes on the server).") var apply = false
    @Flag(help: "Archive pipelines and delete connections and schedules that are on the server but not in DIR.")
    var prune = false
    @Flag(help: "Exit 3 when the plan lists anything, kept items too (a drift check for CI).") var check = false

    func run() async throws {
        let directory: DeployState
        let client: DeployClient
        do {
            directory = try DeployLayout.read(dir)
            client = try options.client()
        } catch {
            report(error)
            throw ExitCode(1)
        }
        do {
            let status = try await push(directory, client)
            await client.shutdown()
            if status != 0 { throw ExitCode(status) }
        } catch let e as ExitCode {
            throw e
        } catch {
            await client.shutdown()
            report(error)
            throw ExitCode(1)
        }
    }

    func push(_ directory: DeployState, _ client: DeployClient) async throws -> Int32 {
        let plan = try DeployPlan.compute(server: try await client.state(), directory: directory, prune: prune)
        print(plan.text(tenant: options.tenant), terminator: "")
        guard !plan.changes.isEmpty else { return check && !plan.items.isEmpty ? 3 : 0 }
        let problems: [DeployClient.Problem]
        do {
            problems = try await client.validate(plan, directory: directory)
        } catch let e as OnrampError where !apply && e.message.contains(": 403 ") {
            print("not checked on the server: \(e.message)")
            return check ? 3 : 0
        }
        guard problems.isEmpty else {
            for p in problems {
                report(OnrampError(p.code, p.message, at: p.field.map { "\(p.file): \($0)" } ?? p.file))
            }
            FileHandle.standardError.write(Data("\(problems.count) problem(s); nothing applied\n".utf8))
            return 1
        }
        guard apply else {
            print("The server accepts this plan. Nothing applied: run again with --apply to apply it.")
            return check ? 3 : 0
        }
        for (i, item) in plan.changes.enumerated() {
            do {
                try await client.apply(item.change!)
            } catch {
                report(error)
                let stopped =
                    "applied \(i) of \(plan.changes.count) changes; stopped at \(item.action.rawValue) "
                    + "\(item.kind.rawValue) \(item.name)\n"
                FileHandle.standardError.write(Data(stopped.utf8))
                return 1
            }
            print("applied: \(item.action.rawValue) \(item.kind.rawValue) \(item.name)")
        }
        print("Applied \(plan.changes.count) changes to tenant \(options.tenant).")
        return 0
    }
}
