import Foundation
import Synchronization

/// Starts plugin processes from one thread that lives as long as this process: Linux sends a child's
/// parent-death signal (`setpriv --pdeathsig`) when the thread that started it ends, and pool threads come and go.
enum PluginSpawner {
    private final class Job: @unchecked Sendable {
        let work: () throws -> Void
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping () throws -> Void) { self.work = work }
    }

    private static let jobs = Mutex<[Job]>([])
    private static let ready = DispatchSemaphore(value: 0)
    private static let thread: Void = {
        let t = Thread {
            while true {
                ready.wait()
                guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                do { try job.work() } catch { job.error = error }
                job.done.signal()
            }
        }
        t.name = "onramp.plugin-spawner"
        t.start()
    }()

    /// Runs `work` on the spawner thread and waits for it.
    static func run(_ work: @escaping () throws -> Void) throws {
        _ = thread
        let job = Job(work)
        jobs.withLock { $0.append(job) }
        ready.signal()
        job.done.wait()
        if let error = job.error { throw error }
    }
}
