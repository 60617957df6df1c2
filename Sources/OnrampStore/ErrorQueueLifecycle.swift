import Foundation

/// The error queue's transitions as pure functions (nil: refused, the entry stays as it is), applied by every
/// backend inside its write transaction. A replay takes open entries; only the replay run an entry names resolves it,
/// and only once: an attempt claimed again after a crash finds the entries it resolved already resolved.
public enum ErrorQueueLifecycle {
    /// A replay run takes an open entry (taking it from an earlier replay that did not deliver it).
    public static func take(_ e: ErrorEntry, replayRun: String, at: Date) -> ErrorEntry? {
        guard e.state == .open else { return nil }
        var e = e
        e.replayRunId = replayRun
        e.updatedAt = at
        return e
    }

    /// Whether `run` replays the entry: it took it and the entry is still open.
    public static func replays(_ e: ErrorEntry, run: String) -> Bool { e.state == .open && e.replayRunId == run }

    /// The replay run `run` ended: an entry it replays whose record got through (`failedAgain` false) is resolved.
    /// A record that failed again stays open (its new failure is a new entry).
    public static func settle(_ e: ErrorEntry, run: String, failedAgain: Bool, at: Date) -> ErrorEntry? {
        guard replays(e, run: run), !failedAgain else { return nil }
        var e = e
        e.state = .resolved
        e.updatedAt = at
        return e
    }

    /// `ignored` from open, `open` from ignored (a reopen); anything else is refused.
    public static func set(_ e: ErrorEntry, to state: ErrorEntryState, at: Date) -> ErrorEntry? {
        switch (e.state, state) {
        case (.open, .ignored), (.ignored, .open):
            var e = e
            e.state = state
            e.updatedAt = at
            return e
        default: return nil
        }
    }

    /// A new value for an open entry, with who changed it.
    public static func edit(_ e: ErrorEntry, sealedValue: Data, by actor: String, at: Date) -> ErrorEntry? {
        guard e.state == .open else { return nil }
        var e = e
        e.sealedValue = sealedValue
        e.editedBy = actor
        e.editedAt = at
        e.updatedAt = at
        return e
    }
}
