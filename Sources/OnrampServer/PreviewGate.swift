/// How many previews run at once, in all and per tenant: each is a process that may use its memory
/// limit, so a burst of previews is answered 429 rather than started.
actor PreviewGate {
    let total: Int
    let perTenant: Int
    private var running: [String: Int] = [:]

    init(total: Int = 4, perTenant: Int = 2) {
        self.total = max(1, total)
        self.perTenant = max(1, perTenant)
    }

    /// Takes a place for `tenant`, or false when none is free.
    func enter(_ tenant: String) -> Bool {
        guard running.values.reduce(0, +) < total, running[tenant, default: 0] < perTenant else { return false }
        running[tenant, default: 0] += 1
        return true
    }

    func leave(_ tenant: String) {
        running[tenant, default: 1] -= 1
        if running[tenant] == 0 { running[tenant] = nil }
    }
}
