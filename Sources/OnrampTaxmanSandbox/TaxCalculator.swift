import Foundation
import OnrampCore

/// TAXMAN's calculation rules (the contract in ../shared/taxman/README.md), in decimal arithmetic.
public struct TaxCalculator: Sendable {
    public struct Rate: Sendable { let jurisdiction: String; let type: String; let rate: Decimal }
    public struct Rejection: Error, Sendable {
        public let code: String
        public let message: String
        public let field: String?
    }

    let exemptTaxCodes: Set<String>
    let jurisdictions: [String: [Rate]]

    /// The calculator with the rates compiled into the binary (parsed once).
    public static func bundled() throws -> TaxCalculator { try compiledIn.get() }

    private static let compiledIn = Result(catching: { try TaxCalculator(rates: JSONParser.parse(SandboxRates.json)) })

    public init(rates: Value) throws {
        exemptTaxCodes = Set(rates["exemptTaxCodes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var j: [String: [Rate]] = [:]
        for (k, list) in rates["jurisdictions"]?.objectValue ?? [:] {
            j[k] = (list.arrayValue ?? []).map {
                Rate(jurisdiction: $0["jurisdiction"]?.stringValue ?? "", type: $0["type"]?.stringValue ?? "",
                     rate: TaxCalculator.decimal($0["rate"]?.numberValue ?? 0))
            }
        }
        jurisdictions = j
    }

    /// The decimal a JSON number prints as (the numbers here come from parsed JSON: finite).
    static func decimal(_ d: Double) -> Decimal { ExactDecimal.decimal(.number(d)) ?? Decimal(d) }
    static func number(_ d: Decimal) -> Value { .number(ExactDecimal.double(d)) }

    static func round2(_ d: Decimal) -> Decimal {
        var x = d, r = Decimal()
        NSDecimalRound(&r, &x, 2, .plain)
        return r
    }

    private func reject(_ field: String, _ message: String, code: String = "ValidationFailed") -> Rejection {
        Rejection(code: code, message: message, field: field)
    }

    /// Validates and calculates one transaction; throws a `Rejection` naming the offending field.
    public func calculate(_ tx: Value, calculationId: String) throws(Rejection) -> Value {
        guard case .object(let t) = tx else { throw reject("", "the transaction must be an object") }
        guard case .string(let id)? = t["transactionId"], !id.isEmpty, id.count <= 64 else {
            throw reject("transactionId", "transactionId must be a non-empty string of at most 64 characters")
        }
        let type = t["type"]?.stringValue ?? ""
        guard ["SalesOrder", "SalesInvoice", "ReturnInvoice"].contains(type) else {
            throw reject("type", "type must be SalesOrder, SalesInvoice or ReturnInvoice")
        }
        guard case .string(let date)? = t["date"], TaxCalculator.isCalendarDate(date) else {
            throw reject("date", "date must be a calendar date YYYY-MM-DD")
        }
        guard case .string(let currency)? = t["currency"], currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw reject("currency", "currency must be three capital letters")
        }
        guard case .array(let lines)? = t["lines"], !lines.isEmpty, lines.count <= 1000 else {
            throw reject("lines", "a transaction has between 1 and 1000 lines")
        }
        struct Line { let number: String; let amount: Decimal; let discount: Decimal; let exempt: Bool }
        let customerExempt: Bool = {
            if case .string(let s)? = t["customer"]?["exemptionCode"], !s.isEmpty { return true }
            return false
        }()
        var parsed: [Line] = []
        for (i, line) in lines.enumerated() {
            let p = "lines[\(i)]"
            guard case .number(let q)? = line["quantity"], q > 0 else { throw reject("\(p).quantity", "quantity must be greater than 0") }
            guard case .number(let a)? = line["amount"], a >= 0 else { throw reject("\(p).amount", "amount must be a number of at least 0") }
            let amount = TaxCalculator.decimal(a)
            guard TaxCalculator.round2(amount) == amount else { throw reject("\(p).amount", "amount must have at most 2 decimals") }
            var discount = Decimal(0)
            if let dv = line["discount"] {
                guard case .number(let d) = dv, d >= 0 else { throw reject("\(p).discount", "discount must be a number of at least 0") }
                discount = TaxCalculator.decimal(d)
                guard TaxCalculator.round2(discount) == discount else { throw reject("\(p).discount", "discount must have at most 2 decimals") }
                guard discount <= amount else { throw reject("\(p).discount", "discount must not exceed amount") }
            }
            let number = line["number"]?.scalarText ?? String(i + 1)
            let exempt = customerExempt || (line["taxCode"]?.stringValue.map { exemptTaxCodes.contains($0) } ?? false)
            parsed.append(Line(number: number, amount: amount, discount: discount, exempt: exempt))
        }
        let addressField = t["shipTo"] != nil ? "shipTo" : "shipFrom"
        guard case .object(let address)? = t[addressField] else {
            throw reject("shipTo", "shipTo (or shipFrom) with a country is required", code: "InvalidAddress")
        }
        guard case .string(let country)? = address["country"], !country.isEmpty else {
            throw reject("\(addressField).country", "country is required", code: "InvalidAddress")
        }
        var jurisdictionKey = country
        if country == "US" || country == "CA" {
            guard case .string(let region)? = address["region"], !region.isEmpty else {
                throw reject("\(addressField).region", "region is required for \(country)", code: "InvalidAddress")
            }
            jurisdictionKey = "\(country)-\(region)"
        }
        guard let rates = jurisdictions[jurisdictionKey] else {
            throw reject(jurisdictionKey.contains("-") ? "\(addressField).region" : "\(addressField).country",
                         "unknown jurisdiction \(jurisdictionKey)", code: "InvalidAddress")
        }
        let sign: Decimal = type == "ReturnInvoice" ? -1 : 1
        var totalAmount = Decimal(0), totalDiscount = Decimal(0), totalTaxable = Decimal(0), totalExempt = Decimal(0), totalTax = Decimal(0)
        var outLines: [Value] = []
        for l in parsed {
            totalAmount += l.amount
            totalDiscount += l.discount
            let taxable = l.exempt ? Decimal(0) : l.amount - l.discount
            if l.exempt { totalExempt += l.amount }
            totalTaxable += taxable
            var lineTax = Decimal(0), lineRate = Decimal(0)
            var details: [Value] = []
            for r in rates {
                let tax = l.exempt ? Decimal(0) : TaxCalculator.round2(taxable * r.rate)
                lineTax += tax
                lineRate += r.rate
                details.append(["jurisdiction": .string(r.jurisdiction), "type": .string(r.type),
                                "rate": TaxCalculator.number(r.rate), "tax": TaxCalculator.number(sign * tax)])
            }
            totalTax += lineTax
            outLines.append(["number": .string(l.number), "taxableAmount": TaxCalculator.number(sign * taxable), "exempt": .bool(l.exempt),
                             "rate": TaxCalculator.number(l.exempt ? 0 : lineRate), "tax": TaxCalculator.number(sign * lineTax),
                             "details": .array(details)])
        }
        return [
            "calculationId": .string(calculationId), "transactionId": .string(id), "currency": .string(currency),
            "totalAmount": TaxCalculator.number(sign * totalAmount), "totalDiscount": TaxCalculator.number(sign * totalDiscount),
            "totalTaxable": TaxCalculator.number(sign * totalTaxable), "totalExempt": TaxCalculator.number(sign * totalExempt),
            "totalTax": TaxCalculator.number(sign * totalTax), "lines": .array(outLines),
        ]
    }

    static func isCalendarDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m) else { return false }
        let days = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...days[m - 1]).contains(d)
    }
}
