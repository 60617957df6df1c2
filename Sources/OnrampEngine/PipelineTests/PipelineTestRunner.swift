import Foundation
import OnrampConnectorKit
import OnrampCore

/// Runs a test document's cases through a pipeline's own steps (the `RunStep`s and `RunPreparer` a run uses), from
/// the case's first selected step to its last, and checks what came out. Nothing is sent anywhere, except a case's
/// output to the in-process sandbox when it asserts TAXMAN answers.
public struct PipelineTestRunner: Sendable {
    public var spec: PipelineSpec
    public var registry: ConnectorRegistry
    /// What the steps run under (a lookup reads its table there).
    public var resources: ConnectorResources
    /// Where a case's `file` resolves: the test file's folder for the CLI, the tenant's file area on a server.
    public var fixtures: FileArea
    /// A folder of the runner's own for inline file text and the steps' scratch files.
    public var scratch: String
    /// The records one case may read (nil: no limit); past it the case fails with `run.limit_records`.
    public var maxRecordsRead: Int?

    public init(spec: PipelineSpec, registry: ConnectorRegistry, resources: ConnectorResources, fixtures: FileArea? = nil,
                scratch: String, maxRecordsRead: Int? = nil) {
        self.spec = spec
        self.registry = registry
        self.resources = resources
        self.fixtures = fixtures ?? resources.files
        self.scratch = scratch
        self.maxRecordsRead = maxRecordsRead
    }

    /// What a case produced: the records after its last step, every failed record, and the sandbox's answers.
    struct Outcome {
        var output: [Record] = []
        var errors: [RecordError] = []
        var answers: [Value]?
    }

    /// Checks that every case's steps exist and its input fits the pipeline's source, before anything runs.
    public func check(_ document: PipelineTestDocument) throws {
        for c in document.cases {
            _ = try steps(of: c)
            if case .records = c.input { continue }
            _ = try fixtureConfig(c, path: "fixture")
        }
    }

    public func run(_ document: PipelineTestDocument) async -> [PipelineTestResult] {
        var results: [PipelineTestResult] = []
        for c in document.cases { results.append(await run(c)) }
        return results
    }

    public func run(_ c: PipelineTestCase) async -> PipelineTestResult {
        let start = ContinuousClock.now
        var failures: [String]
        do {
            failures = c.expect.failures(of: try await outcome(c))
        } catch {
            failures = ["the case stopped: \(error)"]
        }
        return PipelineTestResult(name: c.name, failures: failures, seconds: PipelineRunner.seconds(since: start))
    }

    /// The indices of the steps a case runs: `from` (default the first) through `to` (default the last).
    func steps(of c: PipelineTestCase) throws -> Range<Int> {
        let first = try c.from.map { try index($0, at: "\(c.path).from") } ?? 0
        let last = try c.to.map { try index($0, at: "\(c.path).to") } ?? spec.steps.count - 1
        guard first <= last + 1 else {
            throw OnrampError("test.steps", "the case's 'to' step comes before its 'from' step", at: "\(c.path).to")
        }
        return first..<(last + 1)
    }

    private func index(_ ref: PipelineTestCase.StepRef, at path: String) throws -> Int {
        switch ref {
        case .index(let i):
            guard spec.steps.indices.contains(i) else {
                throw OnrampError("test.step", "the pipeline has \(spec.steps.count) steps (steps[0] to "
                                  + "steps[\(max(spec.steps.count - 1, 0))])", at: path)
            }
            return i
        case .name(let name):
            guard let i = spec.steps.firstIndex(where: { $0.name == name }) else {
                let names = spec.steps.compactMap(\.name)
                throw OnrampError("test.step", "the pipeline has no step named '\(name)'"
                                  + (names.isEmpty ? "" : "; its named steps: \(names.joined(separator: ", "))"), at: path)
            }
            return i
        }
    }

    /// The pipeline's source config with only its `path` replaced (and no incremental mode: a fixture is read whole).
    private func fixtureConfig(_ c: PipelineTestCase, path: String) throws -> PipelineSpec.ConnectorRef {
        guard case .object(var config) = spec.source.config, config["path"]?.stringValue != nil else {
            throw OnrampError("test.fixture_source", "a file or text input is read by the pipeline's source, and its "
                              + "'\(spec.source.connector)' source reads no file path; give records instead",
                              at: "\(c.path).input")
        }
        config["path"] = .string(path)
        return PipelineSpec.ConnectorRef(connector: spec.source.connector, config: .object(config), incremental: nil)
    }

    private func source(_ c: PipelineTestCase) throws -> any Source {
        switch c.input {
        case .records(let values):
            return ReplaySource(records: values.enumerated().map {
                Record($0.element, position: SourcePosition(line: $0.offset + 1))
            })
        case .file(let path):
            var area = resources
            area.files = fixtures
            return try at("\(c.path).input.file") {
                try registry.makeSource(try fixtureConfig(c, path: path), resources: area)
            }
        case .text(let text):
            let ref = try fixtureConfig(c, path: "fixture")
            let ext = ((spec.source.config["path"]?.stringValue ?? "") as NSString).pathExtension
            let name = "case-\(UUID().uuidString)" + (ext.isEmpty ? "" : ".\(ext)")
            let bytes = try Self.encode(text, as: spec.source.config["encoding"]?.stringValue, at: "\(c.path).input.text")
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: "\(scratch)/\(name)", contents: bytes) else {
                throw OnrampError("test.scratch", "cannot write the case's text to a scratch file", at: "\(c.path).input.text")
            }
            var local = resources
            // Confined where the tenant's own area is (the server): a source must not take the scratch file for an
            // operator's run (which may read the process environment, as S3 credentials do).
            local.files = resources.files.isConfined ? .confined(scratch) : .local(scratch)
            var config = ref.config.objectValue ?? [:]
            config["path"] = .string(name)
            return try at("\(c.path).input.text") {
                try registry.makeSource(PipelineSpec.ConnectorRef(connector: ref.connector, config: .object(config),
                                                                  incremental: nil), resources: local)
            }
        }
    }

    /// Inline text as the bytes a file in the source's `encoding` would hold.
    static func encode(_ text: String, as encoding: String?, at path: String) throws -> Data {
        let e: String.Encoding = switch (encoding ?? "utf-8").lowercased() {
        case "windows-1252": .windowsCP1252
        case "iso-8859-1": .isoLatin1
        default: .utf8
        }
        guard let data = text.data(using: e) else {
            throw OnrampError("test.encoding", "the text has characters \(encoding ?? "utf-8") cannot hold; use a file",
                              at: path)
        }
        return data
    }

    /// A source's config error named at the case's input, where the test file can fix it.
    private func at<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as OnrampError {
            throw OnrampError(e.code, e.message + (e.location.map { " (\($0))" } ?? ""), at: path)
        }
    }

    func outcome(_ c: PipelineTestCase) async throws -> Outcome {
        var selected = spec
        selected.steps = Array(spec.steps[try steps(of: c)])
        var steps: [RunStep] = []
        var out = Outcome()
        do {
            for s in selected.steps {
                steps.append(try await RunStep.make(s, registry: registry, resources: resources, scratch: scratch,
                                                    sending: false, batchSize: spec.batchSize))
            }
            let reader = try await source(c).open(checkpoint: nil, batchSize: spec.batchSize)
            let preparer = RunPreparer(reader: reader, steps: steps, spec: selected, lazyTables: true,
                                       maxRecordsRead: maxRecordsRead, remembering: [])
            do {
                while let batch = try await preparer.next() { out.add(batch) }
                for i in steps.indices {
                    while true {
                        let (batch, done) = try await preparer.finish(step: i)
                        out.add(batch)
                        if done { break }
                    }
                }
            } catch let failure as PreparationFailure {
                await preparer.close()
                throw failure.error
            } catch {
                await preparer.close()
                throw error
            }
            await preparer.close()
            for step in steps { try await step.close() }
        } catch {
            for step in steps { try? await step.close() }
            throw error
        }
        // Inline text is named as such, not by the scratch file it was read from.
        if case .text = c.input {
            for i in out.errors.indices where out.errors[i].position.file?.hasPrefix(scratch) == true {
                out.errors[i].position.file = "\(c.path).input.text"
            }
        }
        if c.expect.sandbox != nil {
            let sent = try await PipelinePreview.send(out.output, spec: spec, to: .sandbox, registry: registry,
                                                      resources: resources)
            out.answers = sent["answers"]?.arrayValue ?? []
        }
        return out
    }
}

extension PipelineTestRunner.Outcome {
    mutating func add(_ batch: PreparedBatch) {
        for event in batch.events {
            switch event {
            case .errors(let e): errors += e
            case .records(let r): output += r
            case .table(let t): output += t.records()
            }
        }
    }
}

/// One case's verdict: passed, or the readable reasons it failed (each a block of lines: a diff, a predicate).
public struct PipelineTestResult: Sendable, Equatable {
    public var name: String
    public var failures: [String]
    public var seconds: Double
    public var passed: Bool { failures.isEmpty }

    public init(name: String, failures: [String], seconds: Double) {
        self.name = name
        self.failures = failures
        self.seconds = seconds
    }

    /// As the API answers it: `{name, passed, failures}`.
    public var asValue: Value {
        ["name": .string(name), "passed": .bool(passed), "failures": .array(failures.map(Value.string))]
    }
}
