import ArgumentParser
import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampTransforms

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a pipeline file locally (exit 0 ok, 1 failed, 2 invalid file).")

    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "The pipeline file (YAML or JSON).") var file: String
    @Option(help: "Directory for the runs' results and error reports (each run in its own folder).") var output = "onramp-output"
    @Option(help: "Directory for incremental state (default: next to the output).") var state: String?
    @Flag(help: "Ignore the incremental state and read everything.") var fullResync = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() async throws {
        let spec: PipelineSpec
        let registry: ConnectorRegistry
        do {
            registry = try pluginOptions.registry()
            spec = try PipelineLoader.load(path: file, registry: registry)
        } catch {
            report(error)
            throw ExitCode(2)
        }
        let runId: String
        do { runId = try Self.newRunFolder(in: output) } catch {
            report(error)
            throw ExitCode(1)
        }
        let stateDirectory = state ?? "\(output)/state"
        var runner = PipelineRunner(
            spec: spec, registry: registry, resources: .forPipeline(file),
            checkpoints: FileCheckpointStore(directory: stateDirectory), outputDirectory: "\(output)/\(runId)", fullResync: fullResync)
        runner.runLabel = runId
        let baseline = SchemaBaselineFile(directory: stateDirectory, pipeline: spec.name)
        if spec.schemaDrift != .ignore { runner.schemaBaseline = baseline.load() }
        let showProgress = isatty(2) != 0
        let progress: (@Sendable (RunProgress) -> Void)? = showProgress ? RunCommand.showProgress : nil
        let summary: RunSummary = await runner.run(progress: progress)
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        if summary.status == .succeeded || summary.status == .succeededWithErrors, let schema = summary.observedSchema {
            baseline.store(schema)
        }
        RunCommand.printSummary(summary, json: json)
        if summary.status == .failed { throw ExitCode(1) }
    }

    /// Makes `<output>/<run id>` for a new run and returns the id: the UTC time to the second, with
    /// `-2`, `-3`… when a run of the same second has that folder already. Earlier runs' folders stay.
    static func newRunFolder(in output: String) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = formatter.string(from: Date())
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for n in 1...1000 {
            let id = n == 1 ? base : "\(base)-\(n)"
            // mkdir fails when the folder exists: two runs never share one.
            if mkdir("\(output)/\(id)", 0o755) == 0 { return id }
            guard errno == EEXIST else { break }
        }
        throw OnrampError("run.output", "cannot create a run folder (\(String(cString: strerror(errno))))", at: output)
    }

    @Sendable static func showProgress(_ p: RunProgress) {
        FileHandle.standardError.write(Data(("\r" + progressLine(p) + "   ").utf8))
    }

    /// `[########------------]  42%  0:13 left  read 12000 …`: a bar and the time left when the source can tell how
    /// far it is (file sizes), counts and the rate always.
    static func progressLine(_ p: RunProgress) -> String {
        let rate: Int = p.seconds > 0 ? Int(Double(p.read) / p.seconds) : 0
        let counts = "read \(p.read)  written \(p.written)  failed \(p.failed)  \(rate) records/s"
        guard let f = p.fraction else { return "  " + counts }
        let filled = Int((f * 20).rounded(.down))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "]"
        let left = p.secondsLeft.map { s -> String in
            let t = Int(s.rounded())
            return t >= 3600 ? "\(t / 3600):" + String(format: "%02d:%02d", t / 60 % 60, t % 60) + " left"
                : "\(t / 60):" + String(format: "%02d", t % 60) + " left"
        } ?? "estimating"
        return "  \(bar) \(String(format: "%3d", Int((f * 100).rounded(.down))))%  \(left)  \(counts)"
    }

    static func printSummary(_ s: RunSummary, json: Bool) {
        if json { print(JSONWriter.string(s.reportValue, pretty: true)); return }
        let rate = s.seconds > 0 ? Int(Double(s.recordsRead) / s.seconds) : 0
        print("run \(s.status.rawValue): \(s.pipeline)")
        print("  read \(s.recordsRead), written \(s.recordsWritten), failed \(s.recordsFailed) (extract \(s.failedByStage[.extract] ?? 0), transform \(s.failedByStage[.transform] ?? 0), load \(s.failedByStage[.load] ?? 0)) in \(String(format: "%.2f", s.seconds)) s, \(rate) records/s")
        if let r = s.failureReason { print("  reason: \(r)") }
        if let p = s.destinationPath { print("  output:  \(p)") }
        if let p = s.resultsPath { print("  results: \(p)") }
        if let p = s.errorsCSVPath { print("  errors:  \(p)" + (s.errorsNDJSONPath.map { " (and \($0))" } ?? "")) }
        if let p = s.reconciliationPath { print("  reconciliation: \(p)") }
        if s.destinationPath == nil && s.resultsPath == nil && s.errorsCSVPath == nil && s.reconciliationPath == nil {
            print("  no files written")
        }
        if s.recordsRouted > 0 {
            print("  routed: \(s.recordsRouted) to a route's second destination (\(s.routedRefused) refused)")
        }
        if s.warnings > 0 { print("  warnings: \(s.warnings) (records let through, in the error report)") }
        if let drift = s.schemaDrift { print("  schema drift since the last successful run: \(drift.description)") }
        if !s.errorGroups.isEmpty {
            print("  problems:")
            for g in s.errorGroups.prefix(10) { print("    \(g.line)\n      e.g. \(g.example)") }
            if s.errorGroups.count > 10 || s.ungroupedErrors > 0 { print("    … more kinds in the error report") }
        }
        if let by = s.reconciliation?.byCurrency, !by.isEmpty {
            print("  reconciliation (\(s.recordsRead) rows read, \(s.recordsSent) sent, \(s.recordsWritten) accepted):")
            for (currency, t) in by.sorted(by: { $0.key < $1.key }) {
                print("    \(currency): \(t.transactions) transactions (\(t.calculated) calculated, \(t.refused) refused), sent amount "
                      + "\(ExactDecimal.text(t.amount)) discount \(ExactDecimal.text(t.discount)); answered amount "
                      + "\(ExactDecimal.text(t.answeredAmount)) taxable "
                      + "\(ExactDecimal.text(t.taxable)) exempt \(ExactDecimal.text(t.exempt)) tax \(ExactDecimal.text(t.tax))")
            }
        }
    }
}

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check a pipeline file without running it (exit 2 when invalid).")
    @OptionGroup var pluginOptions: PluginOptions
    @Argument var file: String

    func run() async throws {
        do {
            let registry = try pluginOptions.registry()
            let spec = try PipelineLoader.load(path: file, registry: registry)
            let res = ConnectorResources.forPipeline(file)
            _ = try registry.makeSource(spec.source, resources: res)
            _ = try registry.makeDestination(spec.destination, resources: res)
            for s in spec.steps { try RunStep.validate(s, registry: registry, resources: res) }
            print("\(file): valid (\(spec.name): \(spec.source.connector) -> \(spec.steps.count) steps -> \(spec.destination.connector))")
        } catch {
            report(error)
            throw ExitCode(2)
        }
    }
}
