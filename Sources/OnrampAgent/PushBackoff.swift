/// When the pusher tries again: pure, given each outcome. Transient failures (no answer, 429, 5xx) back off from
/// `base` doubling to `cap` (or as long as the platform's Retry-After says); a refusal that needs a person (a revoked
/// key, a pipeline that takes no pushes) waits `refusedWait` and asks again, keeping the batch; a success resets.
public struct PushBackoff: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case stored
        case transient(retryAfter: Double?)
        case refused
    }

    public var base = 0.5
    public var cap = 30.0
    public var refusedWait = 60.0
    public private(set) var failures = 0

    public init() {}

    /// The seconds to wait before the next push after `outcome`.
    public mutating func next(after outcome: Outcome) -> Double {
        switch outcome {
        case .stored:
            failures = 0
            return 0
        case .transient(let retryAfter):
            failures += 1
            let doubled = min(cap, base * Double(1 << min(failures - 1, 20)))
            return max(doubled, min(retryAfter ?? 0, 3600))
        case .refused:
            failures += 1
            return refusedWait
        }
    }

    /// How a push's HTTP status reads (nil: no answer at all).
    public static func outcome(status: Int?, retryAfter: Double?) -> Outcome {
        guard let status else { return .transient(retryAfter: nil) }
        switch status {
        case 200, 201: return .stored
        case 408, 429, 500...599: return .transient(retryAfter: retryAfter)
        default: return .refused
        }
    }
}
