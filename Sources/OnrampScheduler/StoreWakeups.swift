import Foundation
import Logging
import OnrampStore
import ServiceLifecycle

/// Hears the changes other processes announce on a shared store and wakes this process's workers and scheduler, so
/// an idle worker claims a run queued anywhere at once instead of at its next lease-long sleep. When the feed breaks
/// it reconnects with backoff and wakes everyone (what was announced meanwhile is lost).
public final class StoreWakeups: Service, Sendable {
    let shared: any SharedStore
    let onChange: @Sendable (StoreTopic) -> Void
    let logger: Logger

    public init(shared: any SharedStore, logger: Logger = Logger(label: "onramp.wakeups"),
                onChange: @escaping @Sendable (StoreTopic) -> Void) {
        self.shared = shared
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                let started = Date()
                do {
                    try await self.shared.listen(self.onChange)
                } catch {
                    if Task.isCancelled { return }
                    // A feed that held for a while starts the backoff again.
                    failures = Date().timeIntervalSince(started) > 30 ? 1 : failures + 1
                    self.logger.warning("the store's change feed broke; reconnecting",
                                        metadata: ["error": "\(error)", "in_a_row": "\(failures)"])
                }
                for topic in StoreTopic.allCases { self.onChange(topic) }
                try? await Task.sleep(for: .seconds(Self.backoff(failures: failures)))
            }
        }
    }

    /// Seconds before reconnecting after `failures` breaks in a row: 0.5, 1, 2, ... up to 30.
    static func backoff(failures: Int) -> Double { min(30, 0.5 * Double(1 << min(max(failures - 1, 0), 6))) }
}
