import Foundation
import Logging
import PostgresNIO

/// The schema: the same tables and columns as SQLiteStore's, in PostgreSQL types (times as double precision epoch
/// seconds, documents as JSON text, ciphertext as bytea). Each migration is a list of statements applied once.
extension PostgresStore {
    static let migrations: [(String, [String])] = [
        ("v1", [
            """
            CREATE TABLE pipeline_versions (
              pipeline_id TEXT COLLATE "C" NOT NULL, tenant_id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL,
              version BIGINT NOT NULL, document TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
              PRIMARY KEY (pipeline_id, version))
            """,
            "CREATE INDEX pipeline_versions_by_name ON pipeline_versions (tenant_id, name)",
            """
            CREATE TABLE runs (
              id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT COLLATE "C" NOT NULL, pipeline_id TEXT COLLATE "C" NOT NULL,
              pipeline_version BIGINT NOT NULL, trigger TEXT NOT NULL, full_resync BOOLEAN NOT NULL, state TEXT NOT NULL,
              created_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION,
              lease_owner TEXT, lease_expires_at DOUBLE PRECISION, attempts BIGINT NOT NULL, cancel_requested BOOLEAN NOT NULL,
              summary TEXT, attempt_errors TEXT NOT NULL DEFAULT '[]', origin TEXT, progress TEXT, notice TEXT,
              notice_due DOUBLE PRECISION)
            """,
            "CREATE INDEX runs_by_state ON runs (state, created_at)",
            "CREATE INDEX runs_by_tenant ON runs (tenant_id, created_at)",
            "CREATE INDEX runs_by_notice_due ON runs (notice_due) WHERE notice_due IS NOT NULL",
            "CREATE TABLE checkpoints (pipeline TEXT COLLATE \"C\" PRIMARY KEY, checkpoint TEXT NOT NULL)",
            """
            CREATE TABLE tenants (id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE api_keys (
              id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, tenant_id TEXT,
              secret_hash TEXT NOT NULL UNIQUE, created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION)
            """,
            """
            CREATE TABLE schedules (
              id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL, pipeline_id TEXT NOT NULL, cron TEXT NOT NULL,
              timezone TEXT NOT NULL, enabled BOOLEAN NOT NULL, created_at DOUBLE PRECISION NOT NULL,
              last_fired_at DOUBLE PRECISION)
            """,
            """
            CREATE TABLE secrets (
              tenant_id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL, ciphertext BYTEA NOT NULL,
              updated_at DOUBLE PRECISION NOT NULL, origins TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (tenant_id, name))
            """,
            """
            CREATE TABLE templates (
              name TEXT COLLATE "C" PRIMARY KEY, description TEXT NOT NULL, document TEXT NOT NULL,
              updated_at DOUBLE PRECISION NOT NULL)
            """,
            // Emails are unique and looked up without regard to case (SQLite: COLLATE NOCASE).
            """
            CREATE TABLE users (
              id TEXT PRIMARY KEY, email TEXT COLLATE "C" NOT NULL, role TEXT NOT NULL, tenant_id TEXT,
              password_hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE UNIQUE INDEX users_by_email ON users (lower(email))",
            """
            CREATE TABLE sessions (
              secret_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf_token TEXT NOT NULL,
              expires_at DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE connections (
              tenant_id TEXT NOT NULL, name TEXT COLLATE "C" NOT NULL, connector TEXT NOT NULL, config TEXT NOT NULL,
              updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (tenant_id, name))
            """,
            "CREATE TABLE archived_pipelines (pipeline_id TEXT PRIMARY KEY, archived_at DOUBLE PRECISION NOT NULL)",
            """
            CREATE TABLE audit_log (
              seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, at DOUBLE PRECISION NOT NULL, tenant_id TEXT,
              actor_kind TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, action TEXT NOT NULL,
              resource_type TEXT NOT NULL, resource_id TEXT, status BIGINT NOT NULL)
            """,
            "CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, seq)",
            """
            CREATE TABLE error_queue (
              id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, pipeline_id TEXT NOT NULL,
              pipeline_version BIGINT NOT NULL, stage TEXT NOT NULL, step TEXT, code TEXT NOT NULL, message TEXT NOT NULL,
              field TEXT, file TEXT, line BIGINT, record_key TEXT, reentry_step BIGINT, value BYTEA NOT NULL,
              state TEXT NOT NULL, replay_run_id TEXT, origin_id TEXT, edited_by TEXT, edited_at DOUBLE PRECISION,
              created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX error_queue_by_tenant ON error_queue (tenant_id, created_at)",
            "CREATE INDEX error_queue_by_run ON error_queue (run_id)",
            "CREATE INDEX error_queue_by_replay ON error_queue (replay_run_id)",
            """
            CREATE TABLE pipeline_tests (
              pipeline_id TEXT NOT NULL, version BIGINT NOT NULL, document TEXT NOT NULL, required BOOLEAN NOT NULL,
              updated_at DOUBLE PRECISION NOT NULL, last_passed BOOLEAN, last_cases BIGINT, last_failed BIGINT,
              last_at DOUBLE PRECISION, last_results TEXT, PRIMARY KEY (pipeline_id, version))
            """,
            """
            CREATE TABLE webhooks (
              tenant_id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL,
              enabled BOOLEAN NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
            """,
        ]),
        // next_due_at: when the scheduler next evaluates the schedule (0: at once), so a tick reads an index.
        ("v2-schedule-due", [
            "ALTER TABLE schedules ADD COLUMN next_due_at DOUBLE PRECISION NOT NULL DEFAULT 0",
            "CREATE INDEX schedules_by_due ON schedules (next_due_at) WHERE enabled",
        ]),
        ("v3-push", pushMigration),
        ("v4-agents", agentMigration),
        ("v5-agent-control", agentControlMigration),
        ("v6-run-not-before", ["ALTER TABLE runs ADD COLUMN not_before DOUBLE PRECISION"]),
    ]

    /// Creates the schema (when one is configured) and applies the migrations not yet in `schema_migrations`, in one
    /// transaction under an advisory lock, so two processes starting at once migrate once. Needs `run()` going.
    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            if let schema {
                try await c.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            }
            try await c.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)
                """, logger: logger)
            let applied = Set(try await rows("SELECT version FROM schema_migrations", on: c).map { try $0.text("version") })
            for (version, statements) in Self.migrations where !applied.contains(version) {
                for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                let now = Date().timeIntervalSince1970
                try await c.query("INSERT INTO schema_migrations VALUES (\(version), \(now))", logger: logger)
            }
        }
    }

    /// The advisory lock key migrations take (any fixed 64-bit number; "onramp-m").
    static let migrationLock: Int64 = 0x6F6E_7261_6D70_2D6D
}
