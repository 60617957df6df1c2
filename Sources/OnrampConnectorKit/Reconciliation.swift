import Foundation
import OnrampCore
import Synchronization

/// Money a run sent to a tax destination and what it answered, per currency, summed exactly: a customer checks a
/// run against their ERP with it. Sent: the lines' `amount` and `discount`; answered: the calculation's
/// `totalAmount`, `totalDiscount`, `totalTaxable`, `totalExempt` and `totalTax`.
public struct Reconciliation: Sendable, Equatable {
    public struct Totals: Sendable, Equatable {
        public var transactions = 0
        public var amount = Decimal(0)
        public var discount = Decimal(0)
        public var calculated = 0
        public var refused = 0
        public var answeredAmount = Decimal(0)
        public var answeredDiscount = Decimal(0)
        public var taxable = Decimal(0)
        public var exempt = Decimal(0)
        public var tax = Decimal(0)
        /// Sent values that were not numbers (they are not in the sums).
        public var unreadable = 0
    }

    /// Per currency code as sent; at most `maxCurrencies` of them, and codes longer than `maxCurrencyLength` bytes:
    /// past that, transactions are summed under `overflowKey` (hostile data cannot grow the summary without bound).
    public var byCurrency: [String: Totals] = [:]
    public static let maxCurrencies = 1000
    public static let maxCurrencyLength = 16
    public static let overflowKey = "(other)"

    public init() {}

    /// The key `currency` is summed under: itself, or `overflowKey` when it is too long or one currency too many.
    static func key(_ currency: String, in byCurrency: [String: Totals]) -> String {
        if currency.utf8.count > maxCurrencyLength { return overflowKey }
        // One place is kept for the overflow until it is there.
        let room = byCurrency[overflowKey] == nil ? maxCurrencies - 1 : maxCurrencies
        if byCurrency[currency] != nil || byCurrency.count < room { return currency }
        return overflowKey
    }

    /// Adds `other`'s totals to these, currency by currency (the run's second destinations into its main one).
    public mutating func merge(_ other: Reconciliation) {
        for (currency, o) in other.byCurrency.sorted(by: { $0.key < $1.key }) {
            let key = currency == Self.overflowKey ? currency : Self.key(currency, in: byCurrency)
            var t = byCurrency[key] ?? Totals()
            t.transactions += o.transactions
            t.calculated += o.calculated
            t.refused += o.refused
            t.unreadable += o.unreadable
            for (_, keyPath) in Self.sentFields + Self.answeredFields { t[keyPath: keyPath] += o[keyPath: keyPath] }
            byCurrency[key] = t
        }
    }

    // Key paths are immutable values; the arrays are never written.
    nonisolated(unsafe) static let sentFields: [(String, WritableKeyPath<Totals, Decimal>)] = [("amount", \.amount), ("discount", \.discount)]
    nonisolated(unsafe) static let answeredFields: [(String, WritableKeyPath<Totals, Decimal>)] = [
        ("totalAmount", \.answeredAmount), ("totalDiscount", \.answeredDiscount), ("totalTaxable", \.taxable),
        ("totalExempt", \.exempt), ("totalTax", \.tax),
    ]

    /// Adds one transaction as sent and its answer (nil: refused).
    public mutating func add(sent tx: Value, answer: Value?) {
        let currency = Self.key(tx["currency"]?.scalarText.flatMap { $0.isEmpty ? nil : $0 } ?? "(none)", in: byCurrency)
        var t = byCurrency[currency] ?? Totals()
        t.transactions += 1
        for line in tx["lines"]?.arrayValue ?? [] {
            for (key, keyPath) in Self.sentFields {
                guard let v = line[key], !v.isNull else { continue }
                if let d = ExactDecimal.decimal(v) { t[keyPath: keyPath] += d } else { t.unreadable += 1 }
            }
        }
        if let answer {
            t.calculated += 1
            for (key, keyPath) in Self.answeredFields {
                if let v = answer[key], let d = ExactDecimal.decimal(v) { t[keyPath: keyPath] += d }
            }
        } else {
            t.refused += 1
        }
        byCurrency[currency] = t
    }

    /// `{CUR: {transactions, calculated, refused, sent: {amount, discount}, answered: {amount, discount, taxable,
    /// exempt, tax}}}`, the sums as decimal text (exact, whatever their size).
    public var asValue: Value {
        var o = Value.Object()
        for (currency, t) in byCurrency.sorted(by: { $0.key < $1.key }) {
            var entry: Value.Object = [
                "transactions": .number(Double(t.transactions)), "calculated": .number(Double(t.calculated)),
                "refused": .number(Double(t.refused)),
                "sent": ["amount": .string(ExactDecimal.text(t.amount)), "discount": .string(ExactDecimal.text(t.discount))],
                "answered": ["amount": .string(ExactDecimal.text(t.answeredAmount)),
                             "discount": .string(ExactDecimal.text(t.answeredDiscount)),
                             "taxable": .string(ExactDecimal.text(t.taxable)), "exempt": .string(ExactDecimal.text(t.exempt)),
                             "tax": .string(ExactDecimal.text(t.tax))],
            ]
            if t.unreadable > 0 { entry["unreadable_values"] = .number(Double(t.unreadable)) }
            o[currency] = .object(entry)
        }
        return .object(o)
    }
}

/// A destination's running reconciliation, shared by its concurrent requests.
public final class ReconciliationLedger: Sendable {
    private let state = Mutex(Reconciliation())
    public init() {}

    public func add(sent tx: Value, answer: Value?) { state.withLock { $0.add(sent: tx, answer: answer) } }

    /// Adds a batch as its destination answered it, under one lock: an accepted record's answer (none: `{}`), a
    /// refused one as refused.
    public func add(_ records: [Record], _ outcomes: [RecordOutcome]) {
        state.withLock { r in
            for (record, outcome) in zip(records, outcomes) {
                if case .ok(let result) = outcome { r.add(sent: record.value, answer: result ?? .object([:])) }
                else { r.add(sent: record.value, answer: nil) }
            }
        }
    }
    public var current: Reconciliation { state.withLock { $0 } }
}
