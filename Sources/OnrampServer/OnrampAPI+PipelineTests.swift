import Foundation
import Hummingbird
import OnrampCore
import OnrampEngine
import OnrampStore

/// A pipeline version's tests: stored with the version (`PUT …/tests`, YAML or JSON; `?required=true` makes runs of
/// the version wait until they pass), run like a preview (`POST …/tests/run`: in the preview executor, under the
/// tenant's file area and the preview limits), the last result recorded on the version.
extension OnrampAPI {
    /// Records one case may read in a test run on the server.
    static let testRecordLimit = 10_000

    static func testsValue(_ t: PipelineTestRecord) -> Value {
        ["pipeline_id": .string(t.pipelineId), "version": .number(Double(t.version)), "required": .bool(t.required),
         "updated_at": .string(ISOTime.string(t.updatedAt)), "allows_runs": .bool(t.allowsRuns),
         "last_run": t.lastRun.map(testRunValue) ?? .null, "document": t.document]
    }

    static func testRunValue(_ r: PipelineTestRun) -> Value {
        ["passed": .bool(r.passed), "cases": .number(Double(r.cases)), "failed": .number(Double(r.failed)),
         "at": .string(ISOTime.string(r.at)), "results": r.results]
    }

    func addPipelineTestRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let editors: Set<Role> = [.platformAdmin, .engineer]
        let path = "/tenants/:tenant/pipelines/:pipeline/versions/:version/tests"
        api.put(RouterPath(path)) { request, context in
            let tenant = try context.tenant(allowing: editors)
            let p = try await pipeline(context, tenant: tenant)
            let q = try QueryValues(request, allowed: ["required"])
            let required = try q.choice("required", ["true", "false"]) == "true"
            let document = try await request.documentBody(limit: PipelineTestSuite.maxBytes)
            do {
                let tests = try PipelineTestDocument(from: document)
                let spec = try PipelineSpecValidation.spec(try await validate(p.document, tenant: tenant))
                try PipelineTestRunner(spec: spec, registry: registry, resources: policy.resources(tenant: tenant),
                                       scratch: dataDirectory).check(tests)
            } catch let e as OnrampError { throw APIError.invalid(e) }
            let record = PipelineTestRecord(pipelineId: p.pipelineId, version: p.version, document: document,
                                            required: required, updatedAt: Date())
            try await store.savePipelineTests(record)
            return JSONResponse.make(Self.testsValue(record))
        }
        api.get(RouterPath(path)) { _, context in
            let tenant = try context.tenant()
            let p = try await pipeline(context, tenant: tenant)
            guard let t = try await store.pipelineTests(pipelineId: p.pipelineId, version: p.version) else {
                throw APIError.notFound("tests of pipeline \(p.name) version \(p.version)")
            }
            return JSONResponse.make(Self.testsValue(t))
        }
        api.post(RouterPath(path + "/run")) { _, context in
            let tenant = try context.tenant(allowing: [.platformAdmin, .engineer, .tenantAdmin])
            let p = try await pipeline(context, tenant: tenant)
            guard let t = try await store.pipelineTests(pipelineId: p.pipelineId, version: p.version) else {
                throw APIError.notFound("tests of pipeline \(p.name) version \(p.version)")
            }
            let run = try await runTests(t, of: p, tenant: tenant)
            guard try await store.recordPipelineTestRun(pipelineId: p.pipelineId, version: p.version, documentAt: t.updatedAt,
                                                        run: run) else {
                throw APIError(.conflict, "conflict", "the tests were replaced while they ran; run the new ones")
            }
            return JSONResponse.make(Self.testRunValue(run))
        }
    }

    /// Runs stored tests against the version's document, resolved as a preview resolves one, in the preview executor.
    private func runTests(_ tests: PipelineTestRecord, of p: PipelineVersion, tenant: String) async throws -> PipelineTestRun {
        let secrets = try await secretsFor(tenant)
        let redactor = Redactor(secrets: secrets.values.map(\.value))
        do {
            let expanded = try await validate(p.document, tenant: tenant)
            let resolved = try policy.resolve(expanded, secrets: secrets, registry: registry)
            guard await previewGate.enter(tenant) else {
                throw APIError(.tooManyRequests, "preview.busy", "too many previews are running; try again in a moment")
            }
            let answer = await previews.preview(PreviewRequest(
                document: JSONWriter.string(["pipeline": resolved.document, "tests": tests.document]), operation: .test,
                files: policy.fileArea(tenant: tenant), egress: policy.egress, limit: Self.testRecordLimit,
                seconds: previewSeconds, memoryMiB: previewMemoryMiB))
            await previewGate.leave(tenant)
            let out = redactor.value(try answer.value())
            func count(_ key: String) -> Int { out[key]?.numberValue.flatMap { Int(exactly: $0) } ?? 0 }
            return PipelineTestRun(passed: out["passed"]?.boolValue ?? false, cases: count("cases"), failed: count("failed"),
                                   at: Date(), results: out["results"] ?? [])
        } catch let e as OnrampError {
            throw APIError.invalid(OnrampError(e.code, redactor.string(e.message), at: e.location))
        }
    }
}
