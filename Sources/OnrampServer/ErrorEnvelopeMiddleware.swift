import Hummingbird
import HTTPTypes
import OnrampCore

/// The outermost middleware: whatever goes wrong leaves as the `{"error": {…}}` envelope. A path no
/// route has is 404 `no_route`; a route that exists without this method is 405 `method_not_allowed`
/// with `Allow`; Hummingbird's own errors keep their status; anything else (and every 5xx) is logged
/// and answers 500 `internal`.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = OnrampRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            if e.status.code >= 500 { log(e.code, e.message, request, context) }
            throw e
        } catch let e as HTTPError {
            throw routerError(e, request)
        } catch let e as OnrampError {
            log(e.code, e.message, request, context)
            throw APIError(.internalServerError, e.code, "the server could not answer: \(e.message)")
        } catch {
            log("internal", "\(error)", request, context)
            throw APIError(.internalServerError, "internal", "the server could not answer; its log has the details")
        }
    }

    func routerError(_ e: HTTPError, _ request: Request) -> APIError {
        let path = request.uri.path
        if e.status == .notFound {
            let allowed = OpenAPIDocument.methods(forPath: path)
            guard !allowed.isEmpty else { return APIError(.notFound, "no_route", "no route \(path)") }
            var error = APIError(.methodNotAllowed, "method_not_allowed",
                                 "\(request.method.rawValue) is not allowed on \(path); allowed: \(allowed.joined(separator: ", "))")
            error.headers[.allow] = allowed.joined(separator: ", ")
            return error
        }
        let code: String
        switch e.status {
        case .contentTooLarge: code = "too_large"
        case .badRequest: code = "bad_request"
        case .unauthorized: code = "unauthorized"
        case .forbidden: code = "forbidden"
        default: code = e.status.code >= 500 ? "internal" : "bad_request"
        }
        var error = APIError(e.status, code, e.body ?? e.status.reasonPhrase.lowercased())
        error.headers = e.headers
        return error
    }

    func log(_ code: String, _ message: String, _ request: Request, _ context: Context) {
        context.logger.error("request failed", metadata: ["method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                                                          "code": "\(code)", "error": "\(message)"])
    }
}
