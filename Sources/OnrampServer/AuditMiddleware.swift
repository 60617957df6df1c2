import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OnrampCore
import OnrampStore

/// Records every successful change (POST, PUT, PATCH, DELETE answered 2xx) made under `/api/v1` in
/// the audit log, from the matched route pattern and its parameters: no handler records anything.
/// A created resource's id comes from the `id` of the JSON answer.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = OnrampRequestContext
    let store: any AuditStore

    /// What a route changes, read from its pattern.
    struct Change: Equatable {
        var action: String
        var resourceType: String
        var resourceId: String?
        var tenantId: String?
    }

    /// Collection segments and the resource type they hold.
    static let resources: [String: String] = [
        "tenants": "tenant", "users": "user", "api-keys": "api_key", "pipelines": "pipeline", "runs": "run",
        "schedules": "schedule", "secrets": "secret", "connections": "connection", "templates": "template", "files": "file",
        "errors": "error_entry", "reference-tables": "reference_table", "webhook": "webhook",
    ]
    /// POST routes that change nothing.
    static let readOnly: Set<String> = ["preview", "validate", "compile", "evaluate"]
    static let mutating: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    /// The change a request to `pattern` (as `/api/v1/tenants/{tenant}/…`) makes; nil when it changes nothing.
    /// `parameter` gives a capture's value; `"**"` the (decoded) rest of the path.
    static func change(method: HTTPRequest.Method, pattern: String, parameter: (String) -> String?) -> Change? {
        guard mutating.contains(method) else { return nil }
        var segments = pattern.split(separator: "/").map(String.init)
        if segments.starts(with: ["api", "v1"]) { segments.removeFirst(2) }
        guard let last = segments.last else { return nil }
        func isCapture(_ s: String) -> Bool { s.hasPrefix("{") || s == "**" }
        var verb: String?
        if !isCapture(last) && resources[last] == nil {
            guard !readOnly.contains(last) else { return nil }
            verb = last
        }
        var change = Change(action: verb ?? "", resourceType: verb ?? "", tenantId: parameter("tenant"))
        if let i = segments.lastIndex(where: { resources[$0] != nil }) {
            change.resourceType = resources[segments[i]]!
            if i + 1 < segments.count, isCapture(segments[i + 1]) {
                let capture = segments[i + 1]
                change.resourceId = parameter(capture == "**" ? "**" : String(capture.dropFirst().dropLast()))
            }
        } else if verb == "logout" {
            change.resourceType = "session"
        } else if segments == ["me", "password"] {
            change = Change(action: "change_password", resourceType: "user")
        }
        if verb == nil {
            switch method {
            case .post: change.action = change.resourceType == "run" ? "trigger" : "create"
            case .put: change.action = "put"
            case .patch: change.action = "update"
            default: change.action = "delete"
            }
        }
        return change
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard (200..<300).contains(response.status.code), let pattern = context.endpointPath,
              var change = Self.change(method: request.method, pattern: pattern, parameter: { name in
                  name == "**" ? context.parameters[Parameters.recursiveCaptureKey].flatMap { String($0).removingPercentEncoding }
                      : context.parameters.get(name)
              }) else { return response }
        if change.resourceId == nil, response.headers[.contentType]?.hasPrefix("application/json") == true,
           let length = response.body.contentLength, length <= 1 << 20 {
            let collector = BodyCollector()
            try await response.body.write(collector)
            response.body = ResponseBody(byteBuffer: collector.buffer)
            change.resourceId = (try? JSONParser.parse([UInt8](buffer: collector.buffer)))?["id"]?.stringValue
        }
        if change.resourceType == "session" || change.action == "change_password" { change.resourceId = context.principal?.keyId }
        if change.resourceType == "tenant", change.tenantId == nil { change.tenantId = change.resourceId }
        if change.tenantId == nil, change.resourceType == "session" || change.action == "change_password" {
            change.tenantId = context.principal?.tenantId
        }
        await Self.record(store, context, action: change.action, resourceType: change.resourceType,
                          resourceId: change.resourceId, tenantId: change.tenantId, status: Int(response.status.code))
        return response
    }

    /// Appends one entry for the context's principal; a store failure is logged, never answered.
    static func record(_ store: any AuditStore, _ context: Context, action: String, resourceType: String, resourceId: String?,
                       tenantId: String?, status: Int) async {
        guard let principal = context.principal else { return }
        let entry = AuditRecord(id: UUID().uuidString.lowercased(), at: Date(), tenantId: tenantId,
                                actorKind: principal.sessionHash == nil ? .apiKey : .user, actorId: principal.keyId,
                                actorName: principal.name, action: action, resourceType: resourceType, resourceId: resourceId,
                                status: status)
        do {
            try await store.appendAudit(entry)
        } catch {
            context.logger.error("audit entry not recorded: \(error)",
                                 metadata: ["action": "\(action)", "resource": "\(resourceType)"])
        }
    }
}

/// Collects a response body that is already in memory (a small JSON answer) so it can be read.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var buffer = ByteBuffer()
    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
