import OnrampCore
@testable import OnrampConnectorsHTTP
import Testing

/// The taxman destination serializes each transaction once: the body holds exactly what `keyed` describes.
@Suite struct TaxmanBodyTests {
    @Test func theOnePassBodyIsTheKeyedTransactions() throws {
        let records: [Record] = [
            Record(["transactionId": "T1", "lines": [["amount": 1.5]], "note": "quote \" and \\ and é"]),
            Record(["transactionId": "T2", "idempotencyKey": "mine"]),
            Record([:]),
            Record(["transactionId": .string(String(repeating: "x", count: 100))]),
        ]
        for prefix in ["", "dryrun-"] {
            let body = try JSONParser.parse(TaxmanDestination.body(records, prefix: prefix))
            let expected: Value = ["transactions": .array(records.map { TaxmanDestination.keyed($0.value, prefix: prefix) })]
            #expect(body == expected, "\(prefix)")
        }
        #expect(TaxmanDestination.keyed(records[1].value, prefix: "dryrun-")["idempotencyKey"] == "dryrun-mine")
    }
}
