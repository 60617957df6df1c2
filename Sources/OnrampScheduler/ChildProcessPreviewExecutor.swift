import Foundation
import OnrampCore
import OnrampEngine

/// Runs each preview in its own `onramp exec-preview` process, stopped at the preview's time limit,
/// so an expression that traps, stalls or allocates without end costs that preview only.
public struct ChildProcessPreviewExecutor: PreviewExecutor {
    let executable: String
    /// Arguments for the child besides the subcommand (e.g. `["--plugins", DIR]`).
    let arguments: [String]
    /// A cgroup per child when the operator delegated one (nil: rlimits only).
    let cgroups: Cgroups?

    public init(executable: String = ChildProcess.currentExecutable, arguments: [String] = [],
                cgroups: Cgroups? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.cgroups = cgroups
    }

    public func preview(_ request: PreviewRequest) async -> PreviewAnswer {
        guard let input = try? JSONEncoder().encode(request) else {
            return PreviewAnswer(OnrampError("preview.failed", "cannot encode the preview"))
        }
        let group = cgroups?.child(Cgroups.name("preview", UUID().uuidString), memoryMiB: request.memoryMiB)
        defer { group.map { cgroups?.remove($0) } }
        let outcome = await ChildProcess.run(executable: executable,
                                             arguments: ["exec-preview"] + arguments + Cgroups.arguments(group),
                                             input: input,
                                             deadline: .seconds(request.seconds), outputLimit: 32 << 20)
        switch outcome {
        case .exited(0, let output):
            return (try? JSONDecoder().decode(PreviewAnswer.self, from: output))
                ?? PreviewAnswer(OnrampError("preview.output", "the preview's output passed its limit of 32 MiB"))
        case .exited(let status, _):
            return PreviewAnswer(OnrampError("preview.failed", "the preview process exited with status \(status)"))
        case .signalled(let signal, _):
            return PreviewAnswer(OnrampError("preview.crashed", "the preview process died (signal \(signal)): an expression "
                                             + "or input it cannot handle, or past its memory limit of \(request.memoryMiB) MiB"))
        case .timedOut, .killed:
            return PreviewAnswer(OnrampError("preview.limit_time", "the preview took longer than its limit of "
                                             + "\(Int(request.seconds)) s"))
        }
    }
}
