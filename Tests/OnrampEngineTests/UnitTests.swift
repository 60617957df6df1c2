import Foundation
import OnrampConnectorsFiles
@testable import OnrampFileFormats
import OnrampConnectorsHTTP
import OnrampCore
@testable import OnrampTaxmanSandbox
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 4, baseDelaySeconds: 1, maxDelaySeconds: 10)

    @Test func retriesServerErrorsWithGrowingBackoff() {
        #expect(policy.decide(attempt: 1, failure: .status(503, retryAfterSeconds: nil), jitter: 1) == .retry(afterSeconds: 1))
        #expect(policy.decide(attempt: 3, failure: .transport, jitter: 1) == .retry(afterSeconds: 4))
        #expect(policy.decide(attempt: 3, failure: .timeout, jitter: 0) == .retry(afterSeconds: 2))
        #expect(policy.decide(attempt: 4, failure: .transport, jitter: 0) == .giveUp)
    }

    @Test func honoursRetryAfterAndNeverRetriesClientErrors() {
        #expect(policy.decide(attempt: 1, failure: .status(429, retryAfterSeconds: 3), jitter: 0.5) == .retry(afterSeconds: 3))
        #expect(policy.decide(attempt: 1, failure: .status(429, retryAfterSeconds: 60), jitter: 0.5) == .retry(afterSeconds: 10))
        #expect(policy.decide(attempt: 1, failure: .status(422, retryAfterSeconds: nil), jitter: 0) == .giveUp)
    }
}

@Suite struct CSVTokenizerTests {
    struct Row { var fields: [String]; var line: Int; var problem: String? }

    func rows(_ text: String, multiline: Bool = false) -> [Row] {
        var t = CSVTokenizer(delimiter: UInt8(ascii: ";"), quote: UInt8(ascii: "\""), escape: nil, multiline: multiline)
        var out = CSVTokenizer.Rows()
        Array(text.utf8).withUnsafeBufferPointer { t.feed($0, into: &out) }
        t.finish(into: &out)
        return out.rows.indices.map { i in
            Row(fields: out.fields(i).map { String(decoding: $0, as: UTF8.self) }, line: out.rows[i].line, problem: out.rows[i].problem)
        }
    }

    @Test func quotesCRLFAndLineNumbers() {
        let r = rows("a;b\r\n\"x;\"\"y\"\"\";2\r\n3;4")
        #expect(r.count == 3)
        #expect(r[1].fields == ["x;\"y\"", "2"])
        #expect(r.map(\.line) == [1, 2, 3])
    }

    @Test func aStrayQuoteSpoilsOneRowNotTheFile() {
        let r = rows("a;b\n1;\"oops\n2;3\n")
        #expect(r.count == 3)
        #expect(r[1].problem != nil && r[1].line == 2)
        #expect(r[2].problem == nil && r[2].line == 3)
        #expect(rows("1;\"multi\nline\";2\n", multiline: true)[0].fields.count == 3)
    }

    @Test func windows1252() {
        #expect(TextEncoding.windows1252.decode([0x4D, 0xFC, 0x6E, 0x80]) == "Mün€")
        #expect(TextEncoding.utf8.decode([0xFC]) == nil)
    }
}

@Suite struct TaxCalculatorTests {
    let calc = try! TaxCalculator.bundled()

    func tx(_ lines: [Value], region: String = "CA", type: String = "SalesInvoice", exemption: Value = .null) -> Value {
        ["transactionId": "T1", "type": .string(type), "date": "2026-11-03", "currency": "USD",
         "customer": ["id": "C", "exemptionCode": exemption], "shipTo": ["country": "US", "region": .string(region)], "lines": .array(lines)]
    }

    @Test func decimalRoundingPerJurisdiction() throws {
        let r = try calc.calculate(tx([["number": "1", "quantity": 1, "amount": 10.05, "discount": 0.05]]), calculationId: "c")
        // California 7.25% of 10.00 = 0.725 -> 0.73 (half away from zero); district 1% = 0.10.
        #expect(r["totalTax"] == .number(0.83))
        #expect(r["lines"]?.arrayValue?[0]["details"]?.arrayValue?.map { $0["tax"]! } == [.number(0.73), .number(0.1)])
    }

    @Test func exemptionsAndReturns() throws {
        let r = try calc.calculate(tx([["number": "1", "quantity": 1, "amount": 20, "taxCode": "FOOD-GROCERY"],
                                       ["number": "2", "quantity": 1, "amount": 10]], type: "ReturnInvoice"), calculationId: "c")
        #expect(r["totalExempt"] == .number(-20))
        #expect(r["totalTax"] == .number(-0.83))
        let e = try calc.calculate(tx([["number": "1", "quantity": 1, "amount": 10]], exemption: "EX1"), calculationId: "c")
        #expect(e["totalTax"] == .number(0))
    }

    @Test func validationNamesTheField() {
        do { _ = try calc.calculate(tx([["number": "1", "quantity": 1, "amount": 1.005]]), calculationId: "c"); Issue.record("accepted") } catch {
            #expect(error.field == "lines[0].amount" && error.code == "ValidationFailed")
        }
        do { _ = try calc.calculate(tx([["number": "1", "quantity": 1, "amount": 1]], region: "ZZ"), calculationId: "c"); Issue.record("accepted") } catch {
            #expect(error.code == "InvalidAddress" && error.field == "shipTo.region")
        }
    }
}
