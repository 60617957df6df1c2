import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OnrampCore
import OnrampStore
import ServiceLifecycle

extension OnrampAPI {
    /// How often an open event stream looks at its run in the store (a run's progress is written about once a second).
    static let runEventPoll: Duration = .milliseconds(500)

    /// `GET /tenants/{t}/runs/{run}/events`: the run as server-sent events (`event: run`, the run's JSON as
    /// `GET /runs/{run}` answers it) at once and on every change, ending after a finished run's last state.
    /// At most 20 open streams per tenant and 200 in all (429 past them); a stream ends on shutdown.
    func addRunEventRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        let gate = PreviewGate(total: 200, perTenant: 20)
        api.get("/tenants/:tenant/runs/:run/events") { _, context -> Response in
            let tenant = try context.tenant()
            let id = try await run(context, tenant: tenant).id
            guard await gate.enter(tenant) else {
                throw APIError(.tooManyRequests, "rate_limited", "too many open event streams for this tenant; close some")
            }
            let store = self.store
            let place = GatePlace(gate, tenant)
            let principal = context.principal
            let body = ResponseBody { writer in
                var pacer = RunEventPacer(start: .now)
                var looks = 0
                streaming: while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    looks += 1
                    // A stream ends soon after its session or key does (sign-out, password change, revocation).
                    if looks % 20 == 0, try await !Self.stillSignedIn(principal, store: store) { break }
                    let record = try await store.run(id: id)
                    let actions = pacer.look(at: record.map(Self.runValue), finished: record?.state.isFinished ?? true, now: .now)
                    for action in actions {
                        guard let text = RunEventPacer.text(action) else { break streaming }
                        try await writer.write(ByteBuffer(string: text))
                    }
                    try? await Task.sleep(for: Self.runEventPoll)
                }
                try await writer.finish(nil)
                withExtendedLifetime(place) {}
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store",
                                                   HTTPField.Name("X-Accel-Buffering")!: "no"], body: body)
        }
    }

    /// Whether the principal's session or API key still holds.
    static func stillSignedIn(_ principal: Principal?, store: any OnrampStore) async throws -> Bool {
        guard let principal else { return false }
        if let hash = principal.sessionHash { return try await store.session(secretHash: hash, now: Date()) != nil }
        if let hash = principal.keyHash { return try await store.key(secretHash: hash) != nil }
        return false
    }
}

/// A place taken in a `PreviewGate`, given back when the last reference goes: a response whose body never ran
/// (the client reset the connection before its head was written) still gives it back.
final class GatePlace: Sendable {
    let gate: PreviewGate
    let key: String

    init(_ gate: PreviewGate, _ key: String) {
        self.gate = gate
        self.key = key
    }

    deinit {
        let gate = gate, key = key
        Task { await gate.leave(key) }
    }
}
