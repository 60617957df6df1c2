import Foundation
import Logging
import OnrampCore
import OnrampStore
import PostgresNIO

/// The shared backend: PostgreSQL through PostgresNIO's pool, so several processes can serve one control plane.
/// `run()` must be going (it runs the pool) before any other call; `migrate()` then brings the schema up to date.
/// Every write applies the same pure transitions as SQLiteStore inside one transaction, with the rows it decides on
/// locked (`FOR UPDATE`, or an advisory lock for the claim), so the guarantees hold across processes.
public final class PostgresStore: PipelineStore, PipelineTestStore, RunStore, CheckpointStore, AccessStore, ScheduleStore,
    SecretStore, TemplateStore, UserStore, ConnectionStore, WebhookStore, AuditStore, ErrorQueueStore, PushStore, AgentStore, Sendable {
    let client: PostgresClient
    let logger: Logger
    /// The schema the tables live in (created by `migrate()`); nil: the server's search_path as it is.
    let schema: String?

    /// A store on `configuration`; `schema` (letters, digits, `_`) is set as every connection's search_path.
    public init(configuration: PostgresClient.Configuration, schema: String? = nil, logger: Logger) throws {
        var configuration = configuration
        if let schema {
            guard !schema.isEmpty, schema.count <= 63,
                  schema.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
            else { throw PostgresStoreError("schema name must be 1-63 of a-z, 0-9 and _: \(schema)") }
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        self.schema = schema
        self.logger = logger
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs the connection pool until the calling task is cancelled.
    public func run() async { await client.run() }

    // MARK: reading

    /// Every row of `query`, on `connection` (inside a transaction) or on a pooled one.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [PostgresRandomAccessRow] {
        let sequence = if let connection { try await connection.query(query, logger: logger) }
            else { try await client.query(query, logger: logger) }
        var out: [PostgresRandomAccessRow] = []
        for try await row in sequence { out.append(row.makeRandomAccess()) }
        return out
    }

    /// Runs `body` in one transaction.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withTransaction(logger: logger) { c in try await body(c) }
    }

    static func json(_ text: String?) -> Value? { text.flatMap { try? JSONParser.parse($0) } }
    static func date(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    static func version(_ row: PostgresRandomAccessRow) throws -> PipelineVersion {
        PipelineVersion(pipelineId: try row.text("pipeline_id"), tenantId: try row.text("tenant_id"), name: try row.text("name"),
                        version: try row.int("version"), document: json(try row.text("document")) ?? .null,
                        createdAt: try row.time("created_at"), archivedAt: try row.optionalTime("archived_at"))
    }

    // MARK: pipelines

    public func savePipeline(tenantId: String, name: String, document: Value, at: Date) async throws -> PipelineVersion {
        try await transaction { c in
            // Saves of one pipeline name queue behind each other, so versions never collide.
            try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("pipeline:" + tenantId + "/" + name)))", logger: logger)
            let existing = try await rows("""
                SELECT pipeline_id, MAX(version) AS v FROM pipeline_versions WHERE tenant_id = \(tenantId) AND name = \(name)
                GROUP BY pipeline_id
                """, on: c).first
            let id = try existing?.text("pipeline_id") ?? UUID().uuidString.lowercased()
            let version = (try existing?.int("v") ?? 0) + 1
            let seconds = at.timeIntervalSince1970
            try await c.query("""
                INSERT INTO pipeline_versions VALUES (\(id), \(tenantId), \(name), \(version), \(JSONWriter.string(document)), \(seconds))
                """, logger: logger)
            try await c.query("DELETE FROM archived_pipelines WHERE pipeline_id = \(id)", logger: logger)
            return PipelineVersion(pipelineId: id, tenantId: tenantId, name: name, version: version, document: document, createdAt: at)
        }
    }

    static let versionsWithArchive = """
        SELECT p.*, a.archived_at FROM pipeline_versions p LEFT JOIN archived_pipelines a ON a.pipeline_id = p.pipeline_id
        """

    public func pipeline(id: String, version: Int?) async throws -> PipelineVersion? {
        let found = if let version {
            try await rows("\(unescaped: Self.versionsWithArchive) WHERE p.pipeline_id = \(id) AND p.version = \(version)")
        } else {
            try await rows("\(unescaped: Self.versionsWithArchive) WHERE p.pipeline_id = \(id) ORDER BY p.version DESC LIMIT 1")
        }
        return try found.first.map(Self.version)
    }

    public func pipelines(tenantId: String?) async throws -> [PipelineVersion] {
        try await rows("""
            SELECT p.*, NULL::double precision AS archived_at FROM pipeline_versions p
            JOIN (SELECT pipeline_id, MAX(version) AS v FROM pipeline_versions GROUP BY pipeline_id) l
              ON p.pipeline_id = l.pipeline_id AND p.version = l.v
            WHERE (\(tenantId)::text IS NULL OR p.tenant_id = \(tenantId))
              AND p.pipeline_id NOT IN (SELECT pipeline_id FROM archived_pipelines)
            ORDER BY p.name
            """).map(Self.version)
    }

    public func pipelineVersions(id: String) async throws -> [PipelineVersion] {
        try await rows("\(unescaped: Self.versionsWithArchive) WHERE p.pipeline_id = \(id) ORDER BY p.version").map(Self.version)
    }

    public func archivePipeline(id: String, at: Date) async throws -> Bool {
        try await transaction { c in
            guard try await !rows("SELECT 1 FROM pipeline_versions WHERE pipeline_id = \(id) LIMIT 1", on: c).isEmpty
            else { return false }
            return try await !rows("""
                INSERT INTO archived_pipelines VALUES (\(id), \(at.timeIntervalSince1970)) ON CONFLICT (pipeline_id) DO NOTHING
                RETURNING 1
                """, on: c).isEmpty
        }
    }

    // MARK: checkpoints

    public func load(pipeline: String) async throws -> Value? {
        Self.json(try await rows("SELECT checkpoint FROM checkpoints WHERE pipeline = \(pipeline)").first?.text("checkpoint"))
    }

    static func upsertCheckpoint(_ pipeline: String, _ checkpoint: Value, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query("""
            INSERT INTO checkpoints VALUES (\(pipeline), \(JSONWriter.string(checkpoint)))
            ON CONFLICT (pipeline) DO UPDATE SET checkpoint = excluded.checkpoint
            """, logger: logger)
    }

    public func commit(pipeline: String, checkpoint: Value) async throws {
        try await transaction { c in try await Self.upsertCheckpoint(pipeline, checkpoint, c, logger) }
    }

    public func reset(pipeline: String) async throws {
        try await client.query("DELETE FROM checkpoints WHERE pipeline = \(pipeline)", logger: logger)
    }
}

/// A store setup problem (a bad schema name or URL), in words.
public struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension PostgresRandomAccessRow {
    func text(_ column: String) throws -> String { try self[column].decode(String.self) }
    func optionalText(_ column: String) throws -> String? { try self[column].decode(String?.self) }
    func int(_ column: String) throws -> Int { try self[column].decode(Int.self) }
    func optionalInt(_ column: String) throws -> Int? { try self[column].decode(Int?.self) }
    func bool(_ column: String) throws -> Bool { try self[column].decode(Bool.self) }
    func optionalBool(_ column: String) throws -> Bool? { try self[column].decode(Bool?.self) }
    func double(_ column: String) throws -> Double { try self[column].decode(Double.self) }
    func time(_ column: String) throws -> Date { Date(timeIntervalSince1970: try double(column)) }
    func optionalTime(_ column: String) throws -> Date? { try self[column].decode(Double?.self).map(Date.init(timeIntervalSince1970:)) }
    func bytes(_ column: String) throws -> Data { try self[column].decode(Data.self) }
}
