@testable import OnrampAgent
import Testing

/// A heartbeat answered 404 (a plain push key, or a server being replaced) pauses heartbeats, not ends them: after
/// the pause one goes out again, and an answer brings them back for good.
@Suite struct PusherHeartbeatTests {
    @Test func aNotFoundPausesHeartbeatsAndTheyComeBack() {
        let start = ContinuousClock.now
        var pause = HeartbeatPause()
        #expect(pause.allows(at: start))
        pause.notAnAgent(at: start, for: .seconds(600))
        #expect(!pause.allows(at: start + .seconds(599)), "paused after the 404")
        #expect(pause.allows(at: start + .seconds(600)), "asked again after the pause")
        pause.notAnAgent(at: start + .seconds(600), for: .seconds(600))
        #expect(!pause.allows(at: start + .seconds(601)), "a second 404 pauses again")
        pause.answered()
        #expect(pause.allows(at: start + .seconds(601)), "an answer ends the pause")
    }
}
