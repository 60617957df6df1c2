import Foundation
import OnrampCore

/// The sandbox's memory: stored calculations by idempotency key, counters, and the fault plan.
actor SandboxState {
    /// A calculation with the transaction it was made for (the same key with another transaction is a conflict).
    struct Stored { let transaction: Value; let transactionId: String; let calculation: Value; var timesRequested: Int }
    enum Answer { case calculated(Value, replayed: Bool), rejected(TaxCalculator.Rejection), conflict(String) }

    nonisolated let calculator: TaxCalculator
    let options: TaxmanSandbox.Options
    private var stored: [String: Stored] = [:]
    private var order: [String] = []
    private var counters: [String: Int] = ["requests": 0, "calculations": 0, "replays": 0, "conflicts": 0, "faults": 0, "rate_limited": 0, "rejected": 0]
    private var windowStart = Date()
    private var windowCount = 0
    private var random = SystemRandomNumberGenerator()

    init(calculator: TaxCalculator, options: TaxmanSandbox.Options) {
        self.calculator = calculator
        self.options = options
    }

    func count(_ name: String, _ n: Int = 1) { counters[name, default: 0] += n }

    /// Rate limit and random faults, decided before anything is calculated.
    func admit() -> (status: Int, retryAfter: Int?)? {
        counters["requests"]! += 1
        if let rps = options.rateLimit {
            let now = Date()
            if now.timeIntervalSince(windowStart) >= 1 { windowStart = now; windowCount = 0 }
            windowCount += 1
            if windowCount > rps {
                counters["rate_limited"]! += 1
                return (429, 1)
            }
        }
        if options.failRate > 0, Double.random(in: 0..<1, using: &random) < options.failRate {
            counters["faults"]! += 1
            return (Bool.random(using: &random) ? 500 : 503, nil)
        }
        return nil
    }

    /// The idempotency key of `tx`: its own, the request's header, or its id and type.
    nonisolated static func key(_ tx: Value, headerKey: String?) -> String {
        if case .string(let k)? = tx["idempotencyKey"], !k.isEmpty { return k }
        if let headerKey, !headerKey.isEmpty { return headerKey }
        return "\(tx["transactionId"]?.scalarText ?? "")|\(tx["type"]?.scalarText ?? "")"
    }

    /// Answers each transaction: a stored calculation for a key seen before with the same body (a replay), a
    /// conflict for one seen with another body, else `calculate`'s result, stored. `calculate` runs outside the actor
    /// (it is pure), so concurrent requests calculate in parallel; calculation ids are given in storing order.
    nonisolated func answers(_ txs: [(key: String, tx: Value)],
                             calculate: (Value) -> Result<Value, TaxCalculator.Rejection>) async -> [Answer] {
        var answers = await known(txs)
        var fresh: [(index: Int, result: Result<Value, TaxCalculator.Rejection>)] = []
        for (i, answer) in answers.enumerated() where answer == nil { fresh.append((i, calculate(txs[i].tx))) }
        guard !fresh.isEmpty else { return answers.map { $0! } }
        for (i, answer) in await store(fresh.map { (txs[$0.index].key, txs[$0.index].tx, $0.result) }).enumerated() {
            answers[fresh[i].index] = answer
        }
        return answers.map { $0! }
    }

    /// Replays and conflicts for the keys stored already; nil for the others.
    private func known(_ txs: [(key: String, tx: Value)]) -> [Answer?] {
        txs.map { key, tx in stored[key] == nil ? nil : answer(key, tx) }
    }

    private func answer(_ key: String, _ tx: Value) -> Answer {
        guard var s = stored[key] else { preconditionFailure("answer for a key not stored") }
        if s.transaction != tx {
            counters["conflicts"]! += 1
            return .conflict(key)
        }
        s.timesRequested += 1
        stored[key] = s
        counters["replays"]! += 1
        return .calculated(s.calculation, replayed: true)
    }

    /// Stores fresh calculations (a key another request stored meanwhile is answered as a replay or conflict).
    private func store(_ items: [(key: String, tx: Value, result: Result<Value, TaxCalculator.Rejection>)]) -> [Answer] {
        items.map { key, tx, result in
            if stored[key] != nil { return answer(key, tx) }
            switch result {
            case .success(var calc):
                counters["calculations"]! += 1
                if case .object(var o) = calc {
                    o["calculationId"] = .string("calc_\(counters["calculations"]!)")
                    calc = .object(o)
                }
                stored[key] = Stored(transaction: tx, transactionId: tx["transactionId"]?.scalarText ?? "", calculation: calc,
                                     timesRequested: 1)
                order.append(key)
                return .calculated(calc, replayed: false)
            case .failure(let rejection):
                counters["rejected"]! += 1
                return .rejected(rejection)
            }
        }
    }

    func stats() -> Value {
        .object(Value.Object(uniqueKeysWithValues: ["requests", "calculations", "replays", "conflicts", "faults", "rate_limited", "rejected"]
            .map { ($0, .number(Double(counters[$0] ?? 0))) }))
    }

    func calculations() -> Value {
        .array(order.map { k in
            let s = stored[k]!
            return ["idempotency_key": .string(k), "transaction_id": .string(s.transactionId), "calculation": s.calculation,
                    "times_requested": .number(Double(s.timesRequested))]
        })
    }

    func reset() {
        stored = [:]
        order = []
        for k in counters.keys { counters[k] = 0 }
    }
}
