import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import OnrampCore

/// The public REST API as pipelines-as-code uses it, for one tenant: reads the server's state, checks a push,
/// applies its changes. Errors name the request and carry the server's code, message and field.
public actor DeployClient {
    let base: String
    let tenant: String
    let key: String
    let http: HTTPClient
    let timeout: TimeAmount = .seconds(60)
    /// The largest answer read (a tenant's pipelines list, a document).
    let maxAnswerBytes = 64 << 20
    /// Pipeline ids by name, from the server's list and from each save: routes name a pipeline by its id.
    var pipelineIds: [String: String] = [:]

    /// `server` is `http(s)://host[:port]`; `caFile` a PEM file of the CA certificates to trust for HTTPS instead of
    /// the system's.
    public init(server: String, tenant: String, apiKey: String, caFile: String? = nil) throws {
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host != nil, url.query == nil, url.user == nil
        else {
            throw OnrampError(
                "deploy.server", "the server must be an http:// or https:// URL without credentials or query",
                at: "--server")
        }
        guard tenant.range(of: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", options: .regularExpression) != nil else {
            throw OnrampError("deploy.tenant", "a tenant id is letters, digits, '-' and '_'", at: "--tenant")
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) } catch {
                throw OnrampError("deploy.ca", "cannot read the CA certificates: \(error)", at: caFile)
            }
            configuration.tlsConfiguration = tls
        }
        base = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tenant = tenant
        key = apiKey
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async { try? await http.shutdown() }

    /// A path segment, percent-encoded.
    static func segment(_ s: String) -> String {
        s.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "abcdefghijklmnopqrstuvwxyz"
                    + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")) ?? s
    }

    /// A request under `/api/v1`; the answer's JSON (nil for an empty body). A status outside 2xx is an error.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, body: Value? = nil) async throws -> Value? {
        var request = HTTPClientRequest(url: base + "/api/v1" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: JSONWriter.string(body)))
        }
        let what = "\(method.rawValue) \(path)"
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: maxAnswerBytes)
        } catch {
            throw OnrampError("deploy.transport", "\(what): \(error)", at: base)
        }
        let answer = bytes.readableBytes == 0 ? nil : try? JSONParser.parse([UInt8](buffer: bytes))
        guard (200..<300).contains(Int(response.status.code)) else {
            let e = answer?["error"]
            let code = e?["code"]?.stringValue ?? "http_\(response.status.code)"
            let message = e?["message"]?.stringValue ?? String(buffer: bytes).prefix(200).description
            throw OnrampError(
                "deploy.refused", "\(what): \(response.status.code) \(code): \(message)",
                at: e?["field"]?.stringValue)
        }
        return answer
    }

    var tenantPath: String { "/tenants/\(Self.segment(tenant))" }
}
