import Foundation
import OnrampCore

/// A tenant's named connection: a connector and its config (secrets referenced as `${secret:NAME}`),
/// which pipelines use as `source: {connection: NAME}` or `destination: {connection: NAME}`.
public struct ConnectionRecord: Sendable, Equatable {
    public var tenantId: String
    public var name: String
    public var connector: String
    public var config: Value
    public var updatedAt: Date
    public init(tenantId: String, name: String, connector: String, config: Value, updatedAt: Date) {
        self.tenantId = tenantId
        self.name = name
        self.connector = connector
        self.config = config
        self.updatedAt = updatedAt
    }
}

public protocol ConnectionStore: Sendable {
    func saveConnection(_ connection: ConnectionRecord) async throws
    func connections(tenantId: String) async throws -> [ConnectionRecord]
    func deleteConnection(tenantId: String, name: String) async throws -> Bool
}

extension ConnectionStore {
    /// A tenant's connections by name, as pipeline expansion takes them.
    public func connectionMap(tenantId: String) async throws -> [String: (connector: String, config: Value)] {
        Dictionary(try await connections(tenantId: tenantId).map { ($0.name, (connector: $0.connector, config: $0.config)) }, uniquingKeysWith: { a, _ in a })
    }
}
