import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import PostgresNIO
import Testing

@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (scripts/test.sh starts a server)"))
struct PostgresCheckTests {
    /// The check's error: its message and the config field it names.
    static func failure(_ config: Value) async -> (message: String, field: String?) {
        do {
            _ = try await PG.source(config).check()
            return ("no error", nil)
        } catch let error as OnrampError {
            return (error.message, error.location)
        } catch {
            return ("\(error)", nil)
        }
    }

    @Test func checkSaysWhatItReached() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, "CREATE TABLE \(schema).orders (id int PRIMARY KEY, total numeric)")
            let check = try await PG.source(PG.config(["table": .string("\(schema).orders")])).check()
            #expect(check.message == "connected to \(PG.host):\(PG.port)/\(PG.database) as \(PG.user); "
                    + "\(schema).orders has 2 columns")
        }
    }

    @Test func wrongPasswordNamesTheUser() async {
        let f = await Self.failure(PG.config(["user": "initech", "password": "wrong", "table": "orders"]))
        #expect(f.message == "password authentication failed for user \"initech\"")
        #expect(f.field == "source.config.password")
    }

    @Test func theRightPasswordConnects() async throws {
        let check = try await PG.source(PG.config(["user": "initech", "password": "initech-secret",
                                                   "query": "SELECT 1 AS one"])).check()
        #expect(check.message.contains("as initech; query has 1 columns"))
    }

    @Test func unknownDatabaseIsNamed() async {
        let f = await Self.failure(PG.config(["database": "erp", "table": "orders"]))
        #expect(f.message == "database \"erp\" does not exist")
        #expect(f.field == "source.config.database")
    }

    @Test func unknownTableIsNamed() async {
        let f = await Self.failure(PG.config(["table": "orders"]))
        #expect(f.message == "relation \"orders\" does not exist")
        #expect(f.field == "source.config.table")
    }

    @Test func aRefusedConnectionNamesTheAddress() async throws {
        let port = try Self.closedPort()
        let f = await Self.failure(PG.config(["port": .number(Double(port)), "table": "orders"]))
        #expect(f.message == "cannot connect to \(PG.host):\(port): connection refused")
        #expect(f.field == "source.config.host")
    }

    @Test func aBadQueryIsTheServersMessage() async {
        let f = await Self.failure(PG.config(["query": "SELEC 1"]))
        #expect(f.message == "syntax error at or near \"SELEC\"")
        #expect(f.field == "source.config.query")
    }

    @Test func egressIsCheckedBeforeConnecting() async throws {
        var resources = ConnectorResources()
        resources.egress = EgressPolicy(restricted: true)
        let source = try PG.registry().makeSource(
            PipelineSpec.ConnectorRef(connector: "postgres", config: PG.config(["table": "orders"]), incremental: nil),
            resources: resources)
        await #expect {
            _ = try await source.check()
        } throws: { error in
            (error as? OnrampError)?.code == "egress.refused" && (error as? OnrampError)?.location == "source.config.host"
        }
    }

    @Test func configNeedsATableOrAQuery() {
        #expect { _ = try PG.source(PG.config()) } throws: { "\($0)".contains("give either table or query") }
        #expect { _ = try PG.source(PG.config(["table": "a", "query": "SELECT 1"])) } throws: {
            "\($0)".contains("give either table or query")
        }
        #expect { _ = try PG.source(PG.config(["table": "a.b.c"])) } throws: { "\($0)".contains("more than schema.table") }
        #expect { _ = try PG.source(PG.config(["table": "a", "sslmode": "verify-ca"])) } throws: {
            ($0 as? OnrampError)?.location == "source.config.sslmode"
        }
    }

    @Test func discoverListsTablesViewsKeysAndACursor() async throws {
        try await PG.withSchema { schema, db in
            try await PG.exec(db, """
                CREATE TABLE \(schema).lines (order_id int, line int, amount numeric(10,2), tags text[],
                  write_date timestamp, PRIMARY KEY (order_id, line))
                """)
            try await PG.exec(db, """
                CREATE TABLE \(schema).orders (id bigint PRIMARY KEY, created_at timestamptz, updated_at timestamptz NOT NULL,
                  doc jsonb)
                """)
            try await PG.exec(db, "CREATE VIEW \(schema).totals AS SELECT order_id, sum(amount) AS total FROM \(schema).lines GROUP BY 1")
            let streams = try await PG.source(PG.config(["query": "SELECT 1"])).discover().filter { $0.name.hasPrefix(schema) }
            #expect(streams.map(\.name) == ["\(schema).lines", "\(schema).orders", "\(schema).totals"])
            #expect(streams.map(\.kind) == [.table, .table, .view])
            #expect(streams.map(\.primaryKey) == [["order_id", "line"], ["id"], []])
            #expect(streams.map(\.cursorField) == [["write_date"], ["updated_at"], []])
            let orders = streams[1].fields
            #expect(orders.map(\.type) == ["integer", "string", "string", "object"])
            #expect(orders.map(\.sourceType) == ["int8", "timestamptz", "timestamptz", "jsonb"])
            #expect(orders.map(\.nullable) == [false, true, false, true])
            #expect(streams[0].fields.map(\.type) == ["integer", "integer", "string", "array", "string"])
        }
    }

    /// A loopback port with nothing listening.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
