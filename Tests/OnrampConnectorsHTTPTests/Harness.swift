import Foundation
import OnrampConnectorKit
import OnrampConnectorsHTTP
import OnrampCore
import Synchronization

/// Builds connectors through the registry (schema validation, defaults, typed config) and reads them whole.
enum Harness {
    static func registry() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        HTTPConnectors.register(into: &r)
        return r
    }

    /// Resources whose clock records the waits instead of waiting.
    static func resources(_ sleeps: SleepLog = SleepLog(), egress: EgressPolicy = .unrestricted) -> ConnectorResources {
        var r = ConnectorResources(egress: egress)
        r.clock.sleep = { d in sleeps.add(d) }
        return r
    }

    static func source(_ config: Value, incremental: Value? = nil, resources: ConnectorResources = resources()) throws -> any Source {
        try registry().makeSource(.init(connector: "http_api", config: config, incremental: incremental), resources: resources)
    }

    static func destination(_ config: Value, resources: ConnectorResources = resources()) throws -> any Destination {
        try registry().makeDestination(.init(connector: "http", config: config, incremental: nil), resources: resources)
    }

    struct Read {
        var records: [Value] = []
        var errors: [RecordError] = []
        var checkpoint: Value?
        var batches = 0
        var ids: [Int] { records.compactMap { $0["id"]?.numberValue.map { Int($0) } } }
    }

    /// Reads to the end (or `limit` batches), keeping the last checkpoint a batch carried.
    static func read(_ source: any Source, checkpoint: Value? = nil, batchSize: Int = 100, limit: Int = .max) async throws -> Read {
        var reader = try await source.open(checkpoint: checkpoint, batchSize: batchSize)
        var out = Read(checkpoint: checkpoint)
        do {
            while out.batches < limit, let batch = try await reader.next() {
                out.batches += 1
                out.records += batch.records.map(\.value)
                out.errors += batch.errors
                if let c = batch.checkpoint { out.checkpoint = c }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return out
    }

    /// The error a throwing call gave, as an `OnrampError`.
    static func error(_ work: () async throws -> Void) async -> OnrampError? {
        do { try await work() } catch let e as OnrampError { return e } catch { return OnrampError("other", "\(error)") }
        return nil
    }
}

/// The waits a connector asked for.
final class SleepLog: Sendable {
    private let waits = Mutex<[Duration]>([])
    func add(_ d: Duration) { waits.withLock { $0.append(d) } }
    var all: [Duration] { waits.withLock { $0 } }
    var seconds: [Double] { all.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } }
}
