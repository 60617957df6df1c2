import Foundation

extension MemoryStore {
    public func savePipelineTests(_ record: PipelineTestRecord) {
        var r = record
        r.lastRun = nil
        pipelineTestsByKey["\(record.pipelineId)#\(record.version)"] = r
    }

    public func pipelineTests(pipelineId: String, version: Int) -> PipelineTestRecord? {
        pipelineTestsByKey["\(pipelineId)#\(version)"]
    }

    public func recordPipelineTestRun(pipelineId: String, version: Int, documentAt: Date, run: PipelineTestRun) -> Bool {
        let key = "\(pipelineId)#\(version)"
        guard let r = pipelineTestsByKey[key], r.updatedAt == documentAt else { return false }
        pipelineTestsByKey[key]?.lastRun = run
        return true
    }
}
