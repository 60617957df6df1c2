import Logging
import ServiceLifecycle

/// Runs `service` (an HTTP server) while `body` runs, then shuts it down gracefully.
func withRunningService<T: Sendable>(_ service: some Service, _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test")))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}
