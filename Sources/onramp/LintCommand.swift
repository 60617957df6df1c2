import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine

/// `onramp lint FILE...`: every problem in each pipeline file at once, each at its line and column with a stable code.
struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Report every problem in pipeline files at once (exit 0 clean or warnings only, 1 warnings with --strict, "
            + "2 errors).")
    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "Pipeline files (YAML or JSON).") var files: [String]
    @Flag(help: "Ask the source for its fields (discover) and report steps that read fields it does not have.")
    var discover = false
    @Flag(help: "Warnings fail too (exit 1).") var strict = false
    @Flag(help: "Print the problems as JSON.") var json = false

    func run() async throws {
        let registry = try pluginOptions.registry()
        var report: [Value] = []
        var errors = 0, warnings = 0
        for file in files {
            let problems = await Self.lint(file, registry: registry, discover: discover)
            errors += problems.filter { $0.severity == .error }.count
            warnings += problems.filter { $0.severity == .warning }.count
            if json {
                report.append(["file": .string(file), "problems": .array(problems.map(\.asValue))])
            } else {
                for p in problems { print(p.text(file: file)) }
            }
        }
        if json {
            print(JSONWriter.string(["files": .array(report)], pretty: true))
        } else {
            print("\(files.count) file\(files.count == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), "
                  + "\(warnings) warning\(warnings == 1 ? "" : "s")")
        }
        if errors > 0 { throw ExitCode(2) }
        if strict && warnings > 0 { throw ExitCode(1) }
    }

    static func lint(_ file: String, registry: ConnectorRegistry, discover: Bool) async -> [LintProblem] {
        guard let data = FileManager.default.contents(atPath: file) else {
            return [LintProblem(.error, "file.unreadable", "cannot read the pipeline file", path: nil)]
        }
        let text = String(decoding: data, as: UTF8.self)
        let resources = ConnectorResources.forPipeline(file)
        var linter = PipelineLinter(registry: registry, resources: resources,
                                    environment: ProcessInfo.processInfo.environment)
        // The source is asked for its fields first, when asked and the file is a pipeline a run would take; then
        // the file is linted once. A file that does not load is linted without fields (its errors say why).
        var note: LintProblem?
        if discover, let spec = try? PipelineLoader.parse(text, file: file, environment: linter.environment ?? [:],
                                                          registry: registry) {
            do {
                let streams = try await registry.discover(spec.source, resources: resources)
                if let stream = PipelineLinter.stream(of: spec.source, in: streams) {
                    linter.sourceFields = stream.fields.map(\.name)
                } else {
                    note = LintProblem(.warning, "lint.discover", "the source offers \(streams.count) streams and lint cannot "
                                       + "tell which one the pipeline reads; fields were not checked", path: "source")
                }
            } catch {
                note = LintProblem(.warning, "lint.discover", "the source could not be discovered, so fields were not "
                                   + "checked: \(error)", path: "source")
            }
        }
        return linter.lint(text: text, file: file) + (note.map { [$0] } ?? [])
    }
}
