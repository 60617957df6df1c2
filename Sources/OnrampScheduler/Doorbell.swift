import Foundation

/// Wakes sleeping workers: `wait` returns when rung, closed, or after the timeout.
actor Doorbell {
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private(set) var isOpen = true

    /// A ring with nobody waiting is kept for the next `wait`, so a wake-up between a worker's empty
    /// claim and its sleep is not lost.
    private var pending = false

    func wait(timeout: TimeInterval) async {
        guard isOpen else { return }
        if pending {
            pending = false
            return
        }
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(timeout))
            await self?.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiters[id] = $0 }
        } onCancel: {
            Task { await self.resume(id) }
        }
        timer.cancel()
    }

    private func resume(_ id: UUID) { waiters.removeValue(forKey: id)?.resume() }

    func ring() {
        if waiters.isEmpty { pending = true }
        let all = waiters
        waiters = [:]
        for (_, c) in all { c.resume() }
    }

    func close() {
        isOpen = false
        ring()
    }
}
