import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsPostgres
import OnrampCore
import Testing

/// `sslmode` against the TLS-only server scripts/test.sh starts (ONRAMP_TEST_POSTGRES_TLS, its CA in
/// ONRAMP_TEST_POSTGRES_CA): verify-full checks the certificate against the CA and the host name.
enum PostgresTLSServer {
    static let url = ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES_TLS"].flatMap(URLComponents.init(string:))
    static let caPath = ProcessInfo.processInfo.environment["ONRAMP_TEST_POSTGRES_CA"] ?? ""
}

@Suite(.enabled(if: PostgresTLSServer.url != nil, "needs ONRAMP_TEST_POSTGRES_TLS (scripts/test.sh starts a server)"))
struct PostgresTLSTests {
    static var url: URLComponents? { PostgresTLSServer.url }
    static var caPath: String { PostgresTLSServer.caPath }

    func config(_ extra: Value.Object) -> Value {
        var o: Value.Object = ["host": "127.0.0.1", "port": .number(Double(Self.url?.port ?? 0)), "database": "postgres",
                               "user": "postgres", "query": "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    func check(_ extra: Value.Object, files: FileArea = .local(".")) async throws -> String {
        let source = try PG.registry().makeSource(PipelineSpec.ConnectorRef(connector: "postgres", config: config(extra), incremental: nil),
                                                  resources: ConnectorResources(files: files))
        return try await source.check().message
    }

    func failure(_ extra: Value.Object) async -> OnrampError? {
        do {
            _ = try await check(extra)
            return nil
        } catch { return error as? OnrampError }
    }

    @Test func verifyFullWithTheServersCAConnectsAndReadsOverTLS() async throws {
        let pem = try String(contentsOfFile: Self.caPath, encoding: .utf8)
        #expect(try await check(["sslmode": "verify-full", "ca_pem": .string(pem)]).contains("as postgres"))
        #expect(try await check(["sslmode": "verify-full", "ca_pem": .string(pem), "host": "localhost"]).contains("as postgres"))
        let folder = (Self.caPath as NSString).deletingLastPathComponent
        #expect(try await check(["sslmode": "verify-full", "ca_file": "ca.pem"], files: .local(folder)).contains("as postgres"))
        #expect(try await check(["sslmode": "require"]).contains("as postgres"))
        var reader = try await PG.registry().makeSource(
            PipelineSpec.ConnectorRef(connector: "postgres", config: config(["sslmode": "verify-full", "ca_pem": .string(pem)]),
                                      incremental: nil), resources: ConnectorResources()).open(checkpoint: nil, batchSize: 10)
        let batch = try await reader.next()
        await reader.close()
        #expect(batch?.records.first?.value["ssl"] == true, "the read itself goes over TLS")
    }

    @Test func aCertificateFromAnotherCAOrAPlainConnectionIsRefusedClearly() async throws {
        // The server's own certificate is not a CA: trusting it instead of its issuer fails verification.
        let serverCert = try String(contentsOfFile: (Self.caPath as NSString).deletingLastPathComponent + "/server.crt",
                                    encoding: .utf8)
        let wrong = await failure(["sslmode": "verify-full", "ca_pem": .string(serverCert)])
        #expect(wrong?.location == "source.config.ca_pem" && wrong?.message.contains("is not signed by the CA") == true,
                "\(String(describing: wrong))")
        let plain = await failure(["sslmode": "disable"])
        #expect(plain?.message.contains("no encryption") == true, "\(String(describing: plain))")
        let notPEM = await failure(["sslmode": "verify-full", "ca_pem": "not a certificate"])
        #expect(notPEM?.location == "source.config.ca_pem")
    }
}
