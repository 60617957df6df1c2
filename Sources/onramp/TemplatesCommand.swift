import ArgumentParser
import Foundation
import OnrampCore
import OnrampEngine

/// `onramp templates [NAME] [--set name=value...] [--output FILE]`: the starter templates; one's parameters; or a
/// pipeline file made from one (its `${secret:NAME}` become `${env:NAME}`: on the command line the environment holds
/// the keys).
struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "List the starter templates, show one's parameters, or write a pipeline from one (--set name=value).")
    @Argument var name: String?
    @Option(name: .customLong("set"), help: "A parameter's value, name=value (repeat for each).") var values: [String] = []
    @Option(help: "Write the pipeline here (default: print it).") var output: String?

    func run() async throws {
        guard let name else {
            let width = StarterTemplates.all.map(\.name.count).max() ?? 0
            for t in StarterTemplates.all { print("\(t.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(t.description)") }
            return
        }
        guard let template = StarterTemplates.named(name) else {
            report(OnrampError("template.unknown", "no starter template \(name); known: "
                               + StarterTemplates.all.map(\.name).joined(separator: ", ")))
            throw ExitCode(2)
        }
        guard !values.isEmpty else {
            print("\(template.name): \(template.description)\nparameters (--set name=value):")
            for p in template.parameters { print("  \(p.name): \(p.description) (e.g. \(p.example))") }
            return
        }
        do {
            var given: [String: String] = [:]
            for pair in values {
                guard let eq = pair.firstIndex(of: "=") else {
                    throw OnrampError("template.parameter", "'\(pair)' is not name=value", at: "--set")
                }
                given[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            let document = try Placeholders.renamingSecretsToEnvironment(template.filled(given))
            let text = JSONWriter.string(document, pretty: true) + "\n"
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
                print("wrote \(output): run it with `onramp run \(output)` (keys from the environment: "
                      + Placeholders.references(in: document).filter { $0.kind == "env" }.map(\.name).joined(separator: ", ") + ")")
            } else {
                print(text, terminator: "")
            }
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
