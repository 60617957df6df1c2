import Foundation
import OnrampCore
import OnrampStore
import Testing

extension StoreContractTests {
    @Test(arguments: Backend.allCases)
    func aVersionsTestsAreStoredTheirLastRunRecordedAndAReplacedDocumentForgetsIt(_ backend: Backend) async throws {
        let store = try await backend.make()
        let doc: Value = ["cases": [["name": "a", "input": ["records": []], "expect": [:]]]]
        #expect(try await store.pipelineTests(pipelineId: "p1", version: 1) == nil)
        let run = PipelineTestRun(passed: false, cases: 1, failed: 1, at: t0.addingTimeInterval(5), results: [["name": "a"]])
        #expect(try await store.recordPipelineTestRun(pipelineId: "p1", version: 1, documentAt: t0, run: run) == false)

        try await store.savePipelineTests(PipelineTestRecord(pipelineId: "p1", version: 1, document: doc, required: true,
                                                             updatedAt: t0))
        let saved = try #require(try await store.pipelineTests(pipelineId: "p1", version: 1))
        #expect(saved.document == doc && saved.required && saved.lastRun == nil && !saved.allowsRuns)
        #expect(try await store.pipelineTests(pipelineId: "p1", version: 2) == nil)

        #expect(try await store.recordPipelineTestRun(pipelineId: "p1", version: 1, documentAt: t0, run: run))
        #expect(try await store.pipelineTests(pipelineId: "p1", version: 1)?.lastRun == run)
        var passed = run
        passed.passed = true
        passed.failed = 0
        #expect(try await store.recordPipelineTestRun(pipelineId: "p1", version: 1, documentAt: t0, run: passed))
        #expect(try await store.pipelineTests(pipelineId: "p1", version: 1)?.allowsRuns == true)

        // A run of a document that was replaced meanwhile is not recorded against the new one.
        try await store.savePipelineTests(PipelineTestRecord(pipelineId: "p1", version: 1, document: doc, required: false,
                                                             updatedAt: t0.addingTimeInterval(10)))
        let replaced = try #require(try await store.pipelineTests(pipelineId: "p1", version: 1))
        #expect(replaced.lastRun == nil && !replaced.required && replaced.allowsRuns)
        #expect(try await store.recordPipelineTestRun(pipelineId: "p1", version: 1, documentAt: t0, run: passed) == false)
        #expect(try await store.pipelineTests(pipelineId: "p1", version: 1)?.lastRun == nil)
    }
}
