import Foundation
import OnrampConnectorKit
import OnrampCore

extension PipelineTestRunner {
    /// A test run as a preview executor gets it (`{pipeline, tests}`), answered as `{passed, cases, failed, results}`.
    static func answer(_ request: Value, registry: ConnectorRegistry, resources: ConnectorResources, limit: Int)
        async throws -> Value {
        guard let pipeline = request["pipeline"], let tests = request["tests"] else {
            throw OnrampError("preview.request", "a test run names a pipeline and its tests")
        }
        let spec = try PipelineSpec(from: pipeline)
        let document: PipelineTestDocument
        do { document = try PipelineTestDocument(from: tests) } catch {
            throw OnrampError(error.code, error.message, at: "tests: \(error.location ?? "")")
        }
        let scratch = NSTemporaryDirectory() + "onramp-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let runner = PipelineTestRunner(spec: spec, registry: registry, resources: resources, scratch: scratch,
                                        maxRecordsRead: limit)
        do { try runner.check(document) } catch let e as OnrampError {
            throw OnrampError(e.code, e.message, at: "tests: \(e.location ?? "")")
        }
        let results = await runner.run(document)
        let failed = results.filter { !$0.passed }.count
        return ["passed": .bool(failed == 0), "cases": .number(Double(results.count)), "failed": .number(Double(failed)),
                "results": .array(results.map(\.asValue))]
    }
}
