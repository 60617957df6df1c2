import Foundation
import GRDB
import OnrampCore
import OnrampStore

/// Each pipeline version's stored tests and their last run.
extension SQLiteStore {
    static func migratePipelineTests(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE pipeline_tests (
              pipeline_id TEXT NOT NULL, version INTEGER NOT NULL, document TEXT NOT NULL, required BOOLEAN NOT NULL,
              updated_at REAL NOT NULL, last_passed BOOLEAN, last_cases INTEGER, last_failed INTEGER, last_at REAL,
              last_results TEXT, PRIMARY KEY (pipeline_id, version))
            """)
    }

    public func savePipelineTests(_ r: PipelineTestRecord) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO pipeline_tests (pipeline_id, version, document, required, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (pipeline_id, version) DO UPDATE SET document = excluded.document, required = excluded.required,
                  updated_at = excluded.updated_at, last_passed = NULL, last_cases = NULL, last_failed = NULL, last_at = NULL,
                  last_results = NULL
                """, arguments: [r.pipelineId, r.version, JSONWriter.string(r.document), r.required, r.updatedAt.timeIntervalSince1970])
        }
    }

    public func pipelineTests(pipelineId: String, version: Int) async throws -> PipelineTestRecord? {
        try await db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM pipeline_tests WHERE pipeline_id = ? AND version = ?",
                                             arguments: [pipelineId, version]) else { return nil }
            var lastRun: PipelineTestRun?
            if let passed: Bool = row["last_passed"], let at: Double = row["last_at"] {
                lastRun = PipelineTestRun(passed: passed, cases: row["last_cases"] ?? 0, failed: row["last_failed"] ?? 0,
                                          at: Date(timeIntervalSince1970: at), results: SQLiteStore.json(row["last_results"]) ?? .null)
            }
            return PipelineTestRecord(pipelineId: row["pipeline_id"], version: row["version"],
                                      document: SQLiteStore.json(row["document"]) ?? .null, required: row["required"],
                                      updatedAt: Date(timeIntervalSince1970: row["updated_at"]), lastRun: lastRun)
        }
    }

    public func recordPipelineTestRun(pipelineId: String, version: Int, documentAt: Date, run: PipelineTestRun) async throws
        -> Bool {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE pipeline_tests SET last_passed = ?, last_cases = ?, last_failed = ?, last_at = ?, last_results = ?
                WHERE pipeline_id = ? AND version = ? AND updated_at = ?
                """, arguments: [run.passed, run.cases, run.failed, run.at.timeIntervalSince1970, JSONWriter.string(run.results),
                                 pipelineId, version, documentAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }
}
