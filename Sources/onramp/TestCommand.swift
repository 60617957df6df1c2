import ArgumentParser
import Foundation
import OnrampConnectorKit
import OnrampCore
import OnrampEngine

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run pipeline tests (<pipeline>.tests.yaml): exit 0 all passed, 1 some failed, 2 a file is invalid.")

    @OptionGroup var pluginOptions: PluginOptions
    @Argument(help: "Test files, pipeline files (their .tests.yaml beside them) or directories (every *.tests.yaml under them).")
    var paths: [String] = ["."]
    @Option(help: "Also write the results as JUnit XML to this file.") var junit: String?

    func run() async throws {
        let registry: ConnectorRegistry
        do { registry = try pluginOptions.registry() } catch {
            report(error)
            throw ExitCode(2)
        }
        var suites: [PipelineTestSuite] = []
        for path in paths {
            do {
                for file in try Self.testFiles(path) { suites.append(await Self.run(file, registry: registry)) }
            } catch let e as OnrampError {
                suites.append(PipelineTestSuite(file: path, error: e))
            }
        }
        for suite in suites { Self.print(suite) }
        let cases = suites.reduce(0) { $0 + $1.results.count }, failed = suites.reduce(0) { $0 + $1.failed }
        let invalid = suites.filter { $0.error != nil }.count
        Swift.print("\(cases - failed) passed, \(failed) failed" + (invalid > 0 ? ", \(invalid) invalid test files" : "")
                    + " (\(suites.count) test files)")
        if let junit {
            do { try Data(PipelineTestSuite.junit(suites).utf8).write(to: URL(fileURLWithPath: junit)) } catch {
                report(OnrampError("test.junit", "cannot write the JUnit report: \(error.localizedDescription)", at: junit))
                throw ExitCode(2)
            }
        }
        if invalid > 0 { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }

    static func print(_ suite: PipelineTestSuite) {
        if let e = suite.error {
            Swift.print("INVALID \(suite.file)\n  error: \(e)")
            return
        }
        for r in suite.results {
            Swift.print("\(r.passed ? "PASS" : "FAIL") \(suite.file) › \(r.name)")
            for f in r.failures {
                Swift.print(f.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n"))
            }
        }
    }

    /// The test files a path names: itself (a `.tests.` file), the one beside a pipeline file, or every test file
    /// under a directory (hidden folders skipped), in name order.
    static func testFiles(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw OnrampError("file.unreadable", "no such file or directory", at: path)
        }
        if isDirectory.boolValue {
            let base = URL(fileURLWithPath: path)
            guard let walk = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil,
                                                            options: [.skipsHiddenFiles]) else {
                throw OnrampError("file.unreadable", "cannot list the directory", at: path)
            }
            let found = walk.compactMap { ($0 as? URL)?.path }.filter(isTestFile).sorted()
            guard !found.isEmpty else { throw OnrampError("test.none", "no *.tests.yaml files under the directory", at: path) }
            let prefix = base.standardizedFileURL.path
            // Named as the user named the directory: `examples/a.tests.yaml`, not an absolute path.
            return found.map { p in
                p.hasPrefix(prefix + "/") ? (path as NSString).appendingPathComponent(String(p.dropFirst(prefix.count + 1))) : p
            }
        }
        if isTestFile(path) { return [path] }
        let beside = PipelineTestSuite.testFile(forPipeline: path)
        guard FileManager.default.fileExists(atPath: beside) else {
            throw OnrampError("test.none", "the pipeline has no test file beside it (expected \(beside))", at: path)
        }
        return [beside]
    }

    static func isTestFile(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return [".tests.yaml", ".tests.yml", ".tests.json"].contains { name.hasSuffix($0) }
    }

    /// One test file against the pipeline it names: its env values over the process environment, fixtures relative
    /// to the test file, the pipeline's own paths relative to the pipeline file.
    static func run(_ file: String, registry: ConnectorRegistry) async -> PipelineTestSuite {
        let document: PipelineTestDocument
        let runner: PipelineTestRunner
        let scratch = NSTemporaryDirectory() + "onramp-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            guard size <= PipelineTestSuite.maxBytes, let data = FileManager.default.contents(atPath: file) else {
                throw OnrampError(size > PipelineTestSuite.maxBytes ? "test.too_large" : "file.unreadable",
                                  size > PipelineTestSuite.maxBytes ? "a test file is at most \(PipelineTestSuite.maxBytes >> 20) MiB"
                                  : "cannot read the test file", at: file)
            }
            document = try PipelineTestSuite.parse(String(decoding: data, as: UTF8.self), file: file)
            guard let pipeline = document.pipeline else {
                throw OnrampError("test.missing", "name the pipeline file this tests (relative to the test file)",
                                  at: "\(file): pipeline")
            }
            let pipelinePath = pipeline.hasPrefix("/") ? pipeline
                : (PathText.parent(file) as NSString).appendingPathComponent(pipeline)
            let environment = ProcessInfo.processInfo.environment.merging(document.env) { _, test in test }
            let spec = try PipelineLoader.load(path: pipelinePath, environment: environment, registry: registry)
            runner = PipelineTestRunner(spec: spec, registry: registry, resources: .forPipeline(pipelinePath),
                                        fixtures: ConnectorResources.forPipeline(file).files, scratch: scratch)
            do { try runner.check(document) } catch let e as OnrampError {
                throw OnrampError(e.code, e.message, at: "\(file): \(e.location ?? "")")
            }
        } catch let e as OnrampError {
            return PipelineTestSuite(file: file, error: e)
        } catch {
            return PipelineTestSuite(file: file, error: OnrampError("test.invalid", "\(error)", at: file))
        }
        return PipelineTestSuite(file: file, results: await runner.run(document))
    }
}
