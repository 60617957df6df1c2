import Foundation
import GRDB
import OnrampCore
import OnrampStore

extension SQLiteStore {
    /// Pipeline versions with their pipeline's archive time (`archived_at`, NULL while in use).
    static let versionsWithArchive = "SELECT p.*, a.archived_at FROM pipeline_versions p LEFT JOIN archived_pipelines a ON a.pipeline_id = p.pipeline_id"

    public func pipelineVersions(id: String) async throws -> [PipelineVersion] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "\(SQLiteStore.versionsWithArchive) WHERE p.pipeline_id = ? ORDER BY p.version", arguments: [id])
                .map(SQLiteStore.version)
        }
    }

    public func archivePipeline(id: String, at: Date) async throws -> Bool {
        try await db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pipeline_versions WHERE pipeline_id = ?)", arguments: [id]) == true
            else { return false }
            try db.execute(sql: "INSERT INTO archived_pipelines VALUES (?, ?) ON CONFLICT (pipeline_id) DO NOTHING",
                           arguments: [id, at.timeIntervalSince1970])
            return db.changesCount > 0
        }
    }
}
