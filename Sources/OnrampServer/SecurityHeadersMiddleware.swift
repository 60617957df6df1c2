import HTTPTypes
import Hummingbird

/// Adds the browser-hardening headers to every response, errors and 404s included:
/// `nosniff`, `no-referrer`; for HTML a strict Content-Security-Policy and `X-Frame-Options: DENY`;
/// HSTS when the client reached us over HTTPS (our TLS, or a trusted proxy's `X-Forwarded-Proto`).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = OnrampRequestContext
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    static let strictTransportSecurity = "max-age=31536000; includeSubDomains"

    let tls: Bool
    let trustProxy: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(error)")
            response = try APIError(.internalServerError, "internal", "the server could not answer this request")
                .response(from: request, context: context)
        }
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.contentType]?.lowercased().hasPrefix("text/html") == true {
            response.headers[HTTPField.Name("Content-Security-Policy")!] = Self.contentSecurityPolicy
            response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        }
        if request.arrivedOverHTTPS(tls: tls, trustProxy: trustProxy) {
            response.headers[HTTPField.Name("Strict-Transport-Security")!] = Self.strictTransportSecurity
        }
        return response
    }
}
