import Foundation
import Hummingbird
import NIOCore
import OnrampCore

/// An error shown to API clients: `{"error": {"code", "message", "field"?}}` with its own status.
/// A 401 names the scheme it wants (`WWW-Authenticate: Bearer`).
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) not found") }
    static let unauthorized = APIError(.unauthorized, "unauthorized", "missing, unknown or revoked API key")
    static let forbidden = APIError(.forbidden, "forbidden", "your role may not do this")

    /// A validation error from the core, naming the offending field.
    static func invalid(_ e: OnrampError) -> APIError { APIError(.unprocessableContent, e.code, e.message, field: e.location) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var e: Value.Object = ["code": .string(code), "message": .string(message)]
        if let field { e["field"] = .string(field) }
        var response = JSONResponse.make(["error": .object(e)], status: status)
        response.headers.append(contentsOf: headers)
        if status == .unauthorized && response.headers[.wwwAuthenticate] == nil {
            response.headers[.wwwAuthenticate] = #"Bearer realm="onramp""#
        }
        return response
    }
}

enum JSONResponse {
    static func make(_ v: Value, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(v))))
    }

    /// A new resource (201, or 202 for a queued run) with `Location` naming where it is read.
    static func created(_ v: Value, at location: String, status: HTTPResponse.Status = .created) -> Response {
        var response = make(v, status: status)
        response.headers[.location] = location
        return response
    }
}

extension Request {
    /// The body as JSON; a 400 naming the line and column when it is not JSON.
    func jsonBody(limit: Int = 4 << 20) async throws -> Value {
        let buffer = try await collectBody(limit: limit)
        do {
            return try JSONParser.parse([UInt8](buffer: buffer))
        } catch {
            throw APIError(.badRequest, "bad_json", "the body is not JSON: \(error)")
        }
    }

    /// The whole body, at most `limit` bytes: past it a 413 `too_large`, not a 500.
    func collectBody(limit: Int) async throws -> ByteBuffer {
        do { return try await body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "too_large", "the body is larger than its limit of \(limit >> 20) MiB")
        }
    }
}
