import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import Testing

/// sslmode against the test server's TLS (a self-signed certificate for localhost and 127.0.0.1).
@Suite(.enabled(if: PostgresTestServer.available && PostgresTestServer.caPath != nil,
                "needs ONRAMP_TEST_POSTGRES and ONRAMP_TEST_POSTGRES_CA (scripts/test.sh starts a server)"))
struct PostgresTLSTests {
    static let sslQuery: Value = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

    /// Whether the source's own session is encrypted, as the server sees it.
    static func encrypted(_ config: Value, files: FileArea = .local(".")) async throws -> Value? {
        let source = try PG.registry().makeSource(
            PipelineSpec.ConnectorRef(connector: "postgres", config: config, incremental: nil),
            resources: ConnectorResources(files: files))
        return try await PG.readAll(source, batchSize: 1).first?.records.first?.value["ssl"]
    }

    @Test func disableAndRequire() async throws {
        #expect(try await Self.encrypted(PG.config(["query": Self.sslQuery])) == false)
        #expect(try await Self.encrypted(PG.config(["query": Self.sslQuery, "sslmode": "require"])) == true)
    }

    @Test func verifyFullWithTheCAAsPEMOrAsAFileInTheFileArea() async throws {
        let path = try #require(PG.caPath)
        let pem = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try await Self.encrypted(PG.config(["query": Self.sslQuery, "sslmode": "verify-full", "host": "localhost",
                                                    "ca_pem": .string(pem)])) == true)
        let dir = (path as NSString).deletingLastPathComponent
        #expect(try await Self.encrypted(PG.config(["query": Self.sslQuery, "sslmode": "verify-full",
                                                    "ca_file": "server.crt"]), files: .local(dir)) == true)
    }

    @Test func verifyFullRefusesACertificateItCannotVerify() async throws {
        await #expect {
            _ = try await Self.encrypted(PG.config(["query": Self.sslQuery, "sslmode": "verify-full"]))
        } throws: { error in
            let e = error as? OnrampError
            return e?.location == "source.config.sslmode" && e?.message.contains("certificate") == true
        }
        await #expect {
            _ = try await Self.encrypted(PG.config(["query": Self.sslQuery, "sslmode": "verify-full", "ca_pem": "junk"]))
        } throws: { ($0 as? OnrampError)?.location == "source.config.ca_pem" }
    }
}
