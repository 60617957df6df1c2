import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampExpression
import OnrampTransforms

struct ExprCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "expr", abstract: "Evaluate a JSONata expression against a JSON file (or stdin).")
    @Argument(help: "The JSONata expression.") var expression: String
    @Argument(help: "Input JSON file; stdin when omitted.") var input: String?

    func run() async throws {
        let data: Data
        if let input {
            guard let d = FileManager.default.contents(atPath: input) else { report(OnrampError("file.unreadable", "cannot read", at: input)); throw ExitCode(2) }
            data = d
        } else {
            data = isatty(0) != 0 ? Data() : FileHandle.standardInput.readDataToEndOfFile()
        }
        var value: Value?
        if !data.isEmpty {
            do { value = try JSONParser.parse([UInt8](data)) } catch {
                report(OnrampError("json.syntax", error.message, at: "\(input ?? "stdin"):\(error.line):\(error.column)"))
                throw ExitCode(2)
            }
        }
        do {
            let expr = try JSONata(expression)
            if let result = try expr.evaluate(value, functions: CleansingFunctions.registry) {
                print(JSONWriter.string(result, pretty: true))
            }
        } catch {
            var text = "error \(error.code): \(error.message)\n  \(expression)\n"
            if let p = error.position {
                let column = max(0, min(p, expression.utf16.count) - max(1, error.token?.utf16.count ?? 1))
                text += "  " + String(repeating: " ", count: column) + "^\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode(1)
        }
    }
}

struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors", abstract: "List connectors, or print one's catalog entry (config_schema: JSON Schema); exit 2 when unknown.")
    @OptionGroup var pluginOptions: PluginOptions
    @Argument var name: String?
    @Option(help: "Rewrite the generated config tables (<!-- config:NAME --> regions) of this Markdown file, e.g. docs/connectors.md.")
    var updateDocs: String?

    func run() async throws {
        let catalog = try pluginOptions.registry().catalog + StepFactory.catalog
        if let updateDocs {
            let text = try String(contentsOfFile: updateDocs, encoding: .utf8)
            try pluginOptions.registry().updatingConfigTables(in: text, extra: StepFactory.docsRegions)
                .write(toFile: updateDocs, atomically: true, encoding: .utf8)
            return
        }
        guard let name else {
            let width = max(10, catalog.map { $0["name"]?.stringValue?.count ?? 0 }.max() ?? 0)
            for c in catalog {
                let kind = (c["kind"]?.stringValue ?? "").padding(toLength: 12, withPad: " ", startingAt: 0)
                let name = (c["name"]?.stringValue ?? "").padding(toLength: width, withPad: " ", startingAt: 0)
                print("\(kind) \(name) \(c["summary"]?.stringValue ?? "")")
            }
            return
        }
        let matches = catalog.filter { $0["name"]?.stringValue == name }
        guard !matches.isEmpty else {
            let known = Set(catalog.compactMap { $0["name"]?.stringValue }).sorted().joined(separator: ", ")
            report(OnrampError("connector.unknown", "unknown connector '\(name)'; known: \(known)"))
            throw ExitCode(2)
        }
        for c in matches { print(JSONWriter.string(c, pretty: true)) }
    }
}
