import Foundation
import OnrampCore

/// The sandbox's memory: stored calculations by idempotency key, counters, and the fault plan.
actor SandboxState {
    struct Stored { let body: String; let transactionId: String; let calculation: Value; var timesRequested: Int }
    enum Answer { case calculated(Value, replayed: Bool), rejected(TaxCalculator.Rejection), conflict(String) }

    let calculator: TaxCalculator
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

    func calculate(_ tx: Value, headerKey: String?) -> Answer {
        let key: String
        if case .string(let k)? = tx["idempotencyKey"], !k.isEmpty {
            key = k
        } else if let headerKey, !headerKey.isEmpty {
            key = headerKey
        } else {
            key = "\(tx["transactionId"]?.scalarText ?? "")|\(tx["type"]?.scalarText ?? "")"
        }
        let body = JSONWriter.string(tx)
        if var s = stored[key] {
            if s.body != body {
                counters["conflicts"]! += 1
                return .conflict(key)
            }
            s.timesRequested += 1
            stored[key] = s
            counters["replays"]! += 1
            return .calculated(s.calculation, replayed: true)
        }
        do {
            let calc = try calculator.calculate(tx, calculationId: "calc_\(counters["calculations"]! + 1)")
            stored[key] = Stored(body: body, transactionId: tx["transactionId"]?.scalarText ?? "", calculation: calc, timesRequested: 1)
            order.append(key)
            counters["calculations"]! += 1
            return .calculated(calc, replayed: false)
        } catch {
            counters["rejected"]! += 1
            return .rejected(error)
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
