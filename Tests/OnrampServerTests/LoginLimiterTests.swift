import Foundation
@testable import OnrampServer
import Testing

/// The login limiter as a state machine: counts, windows and lockouts, driven by explicit times.
@Suite struct LoginLimiterTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var policy: LoginLimiter.Policy {
        var p = LoginLimiter.Policy()
        p.accountLimit = 3
        p.addressLimit = 5
        p.window = 60
        p.lockout = 300
        return p
    }

    @Test func anAccountLocksAtItsLimitAndTheLockoutExpires() {
        var limiter = LoginLimiter(policy: policy)
        let keys = [LoginLimiter.account("Ann@Acme.test"), .address("10.0.0.1")]
        #expect(limiter.recordFailure(keys, now: t0) == nil)
        #expect(limiter.recordFailure(keys, now: t0.addingTimeInterval(1)) == nil)
        #expect(limiter.retryAfter(keys, now: t0.addingTimeInterval(2)) == nil)
        #expect(limiter.recordFailure(keys, now: t0.addingTimeInterval(2)) == 300)
        // Locked for everyone using that account, whatever the case of the e-mail or the address.
        #expect(limiter.retryAfter([LoginLimiter.account("ann@acme.test"), .address("10.9.9.9")], now: t0.addingTimeInterval(102)) == 200)
        #expect(limiter.retryAfter([LoginLimiter.account("bob@acme.test"), .address("10.9.9.9")], now: t0.addingTimeInterval(102)) == nil)
        // Expired: free again, and counting starts over.
        #expect(limiter.retryAfter(keys, now: t0.addingTimeInterval(302)) == nil)
        #expect(limiter.recordFailure(keys, now: t0.addingTimeInterval(303)) == nil)
    }

    @Test func failuresOutsideTheWindowDoNotCount() {
        var limiter = LoginLimiter(policy: policy)
        let keys = [LoginLimiter.account("a@x.test")]
        limiter.recordFailure(keys, now: t0)
        limiter.recordFailure(keys, now: t0.addingTimeInterval(30))
        // The first failure has left the 60 s window: two in the window, not three.
        #expect(limiter.recordFailure(keys, now: t0.addingTimeInterval(61)) == nil)
        #expect(limiter.recordFailure(keys, now: t0.addingTimeInterval(62)) == 300)
    }

    @Test func anAddressLocksAcrossAccountsAndSuccessClearsOnlyTheAccount() {
        var limiter = LoginLimiter(policy: policy)
        let address = LoginLimiter.Key.address("192.0.2.7")
        for i in 0..<4 { #expect(limiter.recordFailure([LoginLimiter.account("user\(i)@x.test"), address], now: t0) == nil) }
        limiter.recordFailure([LoginLimiter.account("c@x.test"), address], now: t0)
        limiter.recordSuccess(account: LoginLimiter.account("c@x.test"))
        #expect(limiter.retryAfter([LoginLimiter.account("fresh@x.test"), address], now: t0.addingTimeInterval(10)) == 290)
        #expect(limiter.retryAfter([LoginLimiter.account("fresh@x.test"), .address("192.0.2.8")], now: t0.addingTimeInterval(10)) == nil)

        var other = LoginLimiter(policy: policy)
        let ann = LoginLimiter.account("ann@x.test")
        other.recordFailure([ann], now: t0)
        other.recordFailure([ann], now: t0)
        other.recordSuccess(account: ann)
        #expect(other.recordFailure([ann], now: t0) == nil)
    }

    @Test func staleEntriesAreSweptSoASprayOfNamesCannotGrowMemory() {
        var limiter = LoginLimiter(policy: policy, sweepThreshold: 100)
        for i in 0..<100 { limiter.recordFailure([LoginLimiter.account("u\(i)@x.test")], now: t0) }
        #expect(limiter.trackedKeys == 100)
        limiter.recordFailure([LoginLimiter.account("late@x.test")], now: t0.addingTimeInterval(61))
        #expect(limiter.trackedKeys == 1)
        // A running lockout survives a sweep.
        for _ in 0..<3 { limiter.recordFailure([LoginLimiter.account("locked@x.test")], now: t0.addingTimeInterval(61)) }
        limiter.sweep(now: t0.addingTimeInterval(200))
        #expect(limiter.retryAfter([LoginLimiter.account("locked@x.test")], now: t0.addingTimeInterval(200)) == 161)
    }
}
