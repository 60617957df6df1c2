import ArgumentParser
import Foundation
import OnrampCore

@main
struct Onramp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onramp",
        abstract: "Onramp: low-code data integration for TAXMAN.",
        subcommands: [RunCommand.self, ServeCommand.self, WorkerCommand.self, RotateKeyCommand.self, ValidateCommand.self, LintCommand.self, PreviewCommand.self, CheckCommand.self,
                      DiscoverCommand.self, ExprCommand.self, ReplayCommand.self, ErrorsCommand.self,
                      ConnectorsCommand.self, PluginsCommand.self, TemplatesCommand.self, PullCommand.self, PushCommand.self,
                      SandboxCommand.self, DemoCommand.self, TestCommand.self, AgentCommand.self, ExecRunCommand.self, ExecPreviewCommand.self])
}

/// Prints an error the way the CLI shows every error: code, message, where.
func report(_ error: Error) {
    let text: String
    if let e = error as? OnrampError { text = "error: \(e)" } else { text = "error: \(error)" }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
