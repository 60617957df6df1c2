import Foundation
import GRDB
import OnrampAgent
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampConnectorsPostgres
import OnrampConnectorsS3
import OnrampTaxmanSandbox
import OnrampConnectorsSQLite
import OnrampCore
import OnrampExampleConnector
import OnrampPlugins

/// Every connector family the binary ships, as the composition root registers them (`shipped`), and
/// those plus the SDK's example connector (`all`).
enum TestRegistry {
    static let shipped: ConnectorRegistry = {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        HTTPConnectors.register(into: &r)
        SQLiteConnectors.register(into: &r)
        PostgresConnectors.register(into: &r)
        S3Connectors.register(into: &r)
        SandboxConnectors.register(into: &r)
        AgentConnectors.register(into: &r)
        return r
    }()

    static let all: ConnectorRegistry = {
        var r = shipped
        r.register(FixedWidthSource.spec)
        PluginFixture.register(into: &r)
        return r
    }()
}

/// How the conformance suite feeds a source: it seeds `rows` records whose `id` runs 1…rows (in the
/// source's read order), and gives the config and incremental block that read them.
protocol ConformanceFixture: Sendable {
    var connector: String { get }
    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value)
    /// A config naming something that does not exist: `check` must fail with an error naming a field.
    func missing(in dir: URL) -> Value
}

struct FileFixture: ConformanceFixture {
    let connector: String
    /// Rows per file: file sources commit their checkpoint at the end of each file.
    let perFile = 10

    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value) {
        for start in stride(from: 1, through: rows, by: perFile) {
            let ids = start...min(start + perFile - 1, rows)
            let text: String
            switch connector {
            case "csv": text = "id,name\n" + ids.map { "\($0),n\($0)\n" }.joined()
            case "ndjson": text = ids.map { "{\"id\":\($0),\"name\":\"n\($0)\"}\n" }.joined()
            default: text = "[" + ids.map { "{\"id\":\($0),\"name\":\"n\($0)\"}" }.joined(separator: ",") + "]"
            }
            let name = String(format: "part-%05d.%@", start, connector)
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return (["path": .string(dir.path + "/part-*.\(connector)")], ["mode": "new_files"])
    }

    func missing(in dir: URL) -> Value { ["path": .string(dir.path + "/nothing-*.\(connector)")] }
}

struct SQLiteFixture: ConformanceFixture {
    let connector = "sqlite"

    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value) {
        let path = dir.appendingPathComponent("erp.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE orders (id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT)")
            for id in 1...rows {
                // Many rows share one cursor value: the key must break the ties.
                try db.execute(sql: "INSERT INTO orders VALUES (?, ?, ?)", arguments: [id, "n\(id)", "2026-11-0\(1 + id / 40)"])
            }
        }
        try queue.close()
        return (["path": .string(path), "table": "orders"], ["cursor": ["updated_at"], "key": ["id"]])
    }

    func missing(in dir: URL) -> Value { ["path": .string(dir.path + "/absent.sqlite"), "table": "orders"] }
}

struct FixedWidthFixture: ConformanceFixture {
    let connector = "fixed_width"

    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value) {
        let path = dir.appendingPathComponent("orders.txt").path
        let text = "ORDER   NAME\n" + (1...rows).map { String(format: "%-8d", $0) + "n\($0)\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (["path": .string(path), "skip_lines": 1,
                 "columns": [["name": "id", "start": 1, "length": 8], ["name": "name", "start": 9, "length": 4]]],
                ["mode": "appended_lines"])
    }

    func missing(in dir: URL) -> Value {
        ["path": .string(dir.path + "/absent.txt"), "columns": [["name": "id", "start": 1, "length": 8]]]
    }
}

/// The PostgreSQL server scripts/test.sh starts (ONRAMP_TEST_POSTGRES), seeded with psql: each seed in a schema of its own.
struct PostgresFixture: ConformanceFixture {
    let connector = "postgres"
    let url: URLComponents

    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value) {
        let schema = "conformance_" + UUID().uuidString.prefix(8).lowercased()
        try psql("""
            CREATE SCHEMA \(schema);
            CREATE TABLE \(schema).orders (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);
            INSERT INTO \(schema).orders SELECT i, 'n' || i, timestamptz '2026-11-01' + (i / 40) * interval '1 day'
              FROM generate_series(1, \(rows)) AS i;
            """)
        var config = base
        config["table"] = .string("\(schema).orders")
        return (.object(config), ["cursor": ["updated_at"], "key": ["id"]])
    }

    func missing(in dir: URL) -> Value {
        var config = base
        config["database"] = "no_such_database"
        config["table"] = "orders"
        return .object(config)
    }

    var base: Value.Object {
        ["host": .string(url.host ?? "127.0.0.1"), "port": .number(Double(url.port ?? 5432)),
         "database": .string(String(url.path.dropFirst())), "user": .string(url.user ?? "postgres")]
    }

    func psql(_ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url.string ?? "", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OnrampError("test.psql", "psql failed seeding the fixture") }
    }
}

enum Fixtures {
    static let sources: [any ConformanceFixture] = [
        FileFixture(connector: "csv"), FileFixture(connector: "ndjson"), FileFixture(connector: "json"), SQLiteFixture(),
        FixedWidthFixture(), HTTPAPIFixture(), PluginFixture(),
    ] + (ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES"].flatMap(URLComponents.init(string:))
        .map { [PostgresFixture(url: $0)] } ?? [])
}

/// The example Onramp-protocol plugin (examples/plugins/orders_file), installed in a plugins folder of its own with
/// the schemas its `spec` answers, reading a CSV file incrementally by id.
struct PluginFixture: ConformanceFixture {
    let connector = "orders_file"

    static func register(into registry: inout ConnectorRegistry) {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/plugins/orders_file")
        let plugins = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-conformance-plugins-\(UUID().uuidString)")
        let target = plugins.appendingPathComponent("orders_file")
        try! FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try! FileManager.default.copyItem(at: example, to: target)
        let spec = Process()
        spec.executableURL = target.appendingPathComponent("orders_file.py")
        let input = Pipe(), output = Pipe()
        spec.standardInput = input
        spec.standardOutput = output
        try! spec.run()
        input.fileHandleForWriting.write(Data(#"{"type":"spec","protocol_version":1}"#.utf8 + [0x0A]))
        try? input.fileHandleForWriting.close()
        let answer = try! JSONParser.parse([UInt8](output.fileHandleForReading.readDataToEndOfFile()))
        spec.waitUntilExit()
        var manifest = try! PluginManifest.load(directory: target.path)
        manifest.configSchema = answer["source"]?["config_schema"]
        manifest.incrementalSchema = answer["source"]?["incremental_schema"]
        manifest.destinationSchema = answer["destination"]?["config_schema"]
        try! Data(JSONWriter.string(manifest.value).utf8).write(to: target.appendingPathComponent("plugin.json"))
        PluginConnectors.register(into: &registry, directory: plugins.path)
    }

    func seed(rows: Int, in dir: URL) async throws -> (config: Value, incremental: Value) {
        let path = dir.appendingPathComponent("orders.csv").path
        try ("id,name\n" + (1...rows).map { "\($0),n\($0)\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
        return (["settings": ["path": .string(path)]], [:])
    }

    func missing(in dir: URL) -> Value { ["settings": ["path": .string(dir.path + "/absent.csv")]] }
}
