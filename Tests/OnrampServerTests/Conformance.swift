import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OnrampCore
@testable import OnrampServer
import Testing

/// The API's router as the in-process tests run it, checked against the OpenAPI document: every JSON answer is
/// matched to its route and checked against that route's schema for its status (the `Error` schema for an error,
/// whose `code` is the documented list), and a JSON request body the route accepted (2xx) against the route's request
/// schema. A mismatch is an issue of the test that made the request, naming the route, the status and the field path.
struct Conformance: HTTPResponderBuilder {
    let router: Router<OnrampRequestContext>

    init(_ router: Router<OnrampRequestContext>) { self.router = router }

    static let checker = OpenAPISchemaCheck()

    func buildResponder() -> CallbackResponder<OnrampRequestContext> {
        let inner = router.buildResponder()
        return CallbackResponder { request, context in
            var request = request
            let method = request.method.rawValue.lowercased()
            let path = request.uri.path
            let route = OpenAPIDocument.route(method: method, path: path)
            var sent: ByteBuffer?
            if let route, route.request != nil { sent = try await request.collectBody(upTo: 80 << 20) }
            var response: Response
            do {
                response = try await inner.respond(to: request, context: context)
            } catch let e as any HTTPResponseError {
                response = try e.response(from: request, context: context)
            }
            let name = route.map { "\($0.method.uppercased()) \($0.path)" } ?? "\(method.uppercased()) \(path) (no route)"
            if let route, let sent, (200..<300).contains(Int(response.status.code)) {
                Self.checkRequest(sent, route: route, name: name, status: Int(response.status.code))
            }
            guard response.headers[.contentType]?.hasPrefix("application/json") == true else { return response }
            let collector = Collector()
            try await response.body.write(CollectingWriter(collector: collector))
            let body = collector.buffer
            response.body = ResponseBody(byteBuffer: body)
            Self.checkResponse(body, status: Int(response.status.code), route: route, name: name)
            return response
        }
    }

    static func checkRequest(_ body: ByteBuffer, route: OpenAPIDocument.Route, name: String, status: Int) {
        guard body.readableBytes > 0, let schema = route.request,
              let value = try? JSONParser.parse([UInt8](buffer: body)) else { return }  // a YAML document, or none
        if let problem = checker.problem(value, against: schema) {
            Issue.record("\(name) accepted (\(status)) a request body its schema refuses: \(problem)")
        }
    }

    static func checkResponse(_ body: ByteBuffer, status: Int, route: OpenAPIDocument.Route?, name: String) {
        guard let value = try? JSONParser.parse([UInt8](buffer: body)) else {
            Issue.record("\(name) answered \(status) with a body that is not JSON")
            return
        }
        let schema: Value
        if let route, status == route.success || route.alsoSuccess.contains(status) {
            guard let documented = route.response else {
                Issue.record("\(name) answers JSON but its route has no response schema")
                return
            }
            schema = documented
        } else if route?.path == "/readyz" && status == 503 {
            schema = SchemaBuilder.ref("Status")
        } else {
            if let route, !OpenAPIDocument.errorStatuses(route).contains(status) {
                Issue.record("\(name) answered \(status), a status its document does not list")
            }
            schema = SchemaBuilder.ref("Error")
        }
        if let problem = checker.problem(value, against: schema) {
            Issue.record("\(name) answered \(status) with a body its schema refuses: \(problem)")
        }
    }

    final class Collector: @unchecked Sendable {
        var buffer = ByteBuffer()
    }

    struct CollectingWriter: ResponseBodyWriter {
        let collector: Collector
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            collector.buffer.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
