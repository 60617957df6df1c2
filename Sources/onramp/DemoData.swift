import Foundation

/// A realistic ERP export for the demo: orders as H/L rows, Windows-1252, semicolons, decimal
/// commas, dd.mm.yyyy dates, US, Canadian and EU addresses, and a handful of broken rows.
enum DemoData {
    struct Place { let city: String; let state: String; let zip: String; let country: String; let currency: String }
    static let places = [
        Place(city: "Los Angeles", state: "California", zip: "90001", country: "US", currency: "USD"),
        Place(city: "New York", state: "New York", zip: "10001", country: "US", currency: "USD"),
        Place(city: "Austin", state: "Texas", zip: "73301", country: "US", currency: "USD"),
        Place(city: "Seattle", state: "Washington", zip: "98101", country: "US", currency: "USD"),
        Place(city: "Portland", state: "Oregon", zip: "97201", country: "US", currency: "USD"),
        Place(city: "Chicago", state: "Illinois", zip: "60601", country: "US", currency: "USD"),
        Place(city: "Toronto", state: "Ontario", zip: "M5H 2N2", country: "CA", currency: "CAD"),
        Place(city: "Montréal", state: "Québec", zip: "H2Y 1C6", country: "CA", currency: "CAD"),
        Place(city: "Vancouver", state: "British Columbia", zip: "V6B 1A1", country: "CA", currency: "CAD"),
        Place(city: "München", state: "", zip: "80331", country: "DE", currency: "EUR"),
        Place(city: "Paris", state: "", zip: "75001", country: "FR", currency: "EUR"),
        Place(city: "Dublin", state: "", zip: "D01", country: "IE", currency: "EUR"),
    ]
    static let items = [("WID-100", "Widget, blue", "12,50", ""), ("GAD-220", "Gadget Pro", "249,00", ""),
                        ("FOOD-1", "Café beans 1 kg", "18,90", "FOOD-GROCERY"), ("SRV-9", "Installation service", "95,00", "NT"),
                        ("CAB-3", "Cable 3 m", "7,35", ""), ("MED-7", "Prescription refill", "42,10", "RX-DRUG")]
    static let header = "RecType;OrderNo;OrderDate;Customer;ExemptCode;Currency;ShipCity;ShipState;ShipZip;ShipCountry;LineNo;ItemCode;Description;Qty;UnitPrice;Discount;TaxCode"

    /// Writes `files` daily export files into `directory`; returns the number of orders.
    static func write(to directory: String, orders: Int = 3000, files: Int = 3) throws -> Int {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 42)
        let perFile = orders / files
        var orderNo = 100_000
        for f in 0..<files {
            var rows = [header]
            for i in 0..<perFile {
                orderNo += 1
                let p = places[Int(rng.next() % UInt64(places.count))]
                let day = 1 + f
                var date = String(format: "%02d.11.2026", day)
                var state = p.state
                if i == 7 && f == 0 { date = "31.02.2026" }          // broken: not a calendar date
                if i == 11 && f == 1 { state = "Atlantis" }          // broken: TAXMAN rejects the address
                let exempt = i % 97 == 5 ? "EX-\(orderNo)" : ""
                rows.append("H;\(orderNo);\(date);CUST-\(1000 + Int(rng.next() % 500));\(exempt);\(p.currency);\(p.city);\(state);\(p.zip);\(p.country);;;;;;;")
                let lineCount = 1 + Int(rng.next() % 4)
                for l in 1...lineCount {
                    let it = items[Int(rng.next() % UInt64(items.count))]
                    var qty = String(1 + Int(rng.next() % 5))
                    if i == 13 && f == 2 && l == 1 { qty = "zwei" }  // broken: not a number
                    let discount = rng.next() % 5 == 0 ? "1,00" : ""
                    rows.append("L;\(orderNo);;;;;;;;;\(l);\(it.0);\(it.1);\(qty);\(it.2);\(discount);\(it.3)")
                }
                if i == 21 && f == 0 { rows.append("L;\(orderNo);;;;;;;;;9;\"WID-100;Widget;1;12,50;;") }  // broken: unterminated quote
                if i == 30 && f == 1 { rows.append("L;\(orderNo);;;;;;;;;9;WID-100;Widget;1;12,50") }       // broken: too few fields
            }
            if f == 2 { rows.append("L;999999;;;;;;;;;1;WID-100;Orphan line;1;12,50;;") }                  // broken: no header row
            let text = rows.joined(separator: "\r\n") + "\r\n"
            let bytes = text.unicodeScalars.map { s -> UInt8 in
                if s.value < 0x100 { return UInt8(s.value) }
                return UInt8(ascii: "?")
            }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/orders-2026-11-0\(f + 1).csv"))
        }
        return perFile * files
    }
}

/// A small deterministic generator so the demo data is the same on every machine.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
