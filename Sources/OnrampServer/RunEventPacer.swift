import OnrampCore

/// When a run's event stream writes: the run as soon as it differs from what was last sent, a keep-alive
/// comment after `keepAlive` of silence, and the end once the run is finished (after its last state), gone,
/// or the stream is `maxAge` old (the browser's EventSource then reconnects). Pure: the caller polls the store
/// and gives the time.
struct RunEventPacer {
    enum Action: Equatable {
        case send(Value)
        case keepAlive
        case end
    }

    let keepAlive: Duration
    let maxAge: Duration
    private let start: ContinuousClock.Instant
    private var lastWrite: ContinuousClock.Instant
    private var lastSent: Value?

    init(start: ContinuousClock.Instant, keepAlive: Duration = .seconds(15), maxAge: Duration = .seconds(3600)) {
        self.start = start
        self.keepAlive = keepAlive
        self.maxAge = maxAge
        lastWrite = start
    }

    /// What to write after looking at the run (`nil`: it no longer exists) at `now`, in order.
    mutating func look(at run: Value?, finished: Bool, now: ContinuousClock.Instant) -> [Action] {
        guard let run else { return [.end] }
        var actions: [Action] = []
        if run != lastSent {
            lastSent = run
            lastWrite = now
            actions.append(.send(run))
        }
        if finished || now - start >= maxAge { return actions + [.end] }
        if actions.isEmpty, now - lastWrite >= keepAlive {
            lastWrite = now
            actions.append(.keepAlive)
        }
        return actions
    }

    /// One action as server-sent-event text.
    static func text(_ action: Action) -> String? {
        switch action {
        case .send(let run): "event: run\ndata: \(JSONWriter.string(run))\n\n"
        case .keepAlive: ": keep-alive\n\n"
        case .end: nil
        }
    }
}
