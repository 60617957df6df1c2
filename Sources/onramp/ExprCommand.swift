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
    static let configuration = CommandConfiguration(commandName: "connectors", abstract: "List connectors and their config specs (JSON Schema).")
    @Argument var name: String?

    func run() async throws {
        let r = ConnectorRegistry.build()
        if let name {
            if let s = r.sources[name] { print(JSONWriter.string(["kind": "source", "name": .string(s.name), "config": s.configSchema, "incremental": s.incrementalSchema ?? .null], pretty: true)) }
            if let d = r.destinations[name] { print(JSONWriter.string(["kind": "destination", "name": .string(d.name), "config": d.configSchema], pretty: true)) }
            return
        }
        for s in r.sources.values.sorted(by: { $0.name < $1.name }) { print("source       \(s.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(s.summary)") }
        for d in r.destinations.values.sorted(by: { $0.name < $1.name }) { print("destination  \(d.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(d.summary)") }
    }
}
