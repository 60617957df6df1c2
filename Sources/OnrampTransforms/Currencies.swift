import OnrampCore

/// ISO 4217 currencies by code, numeric code, symbol (`€`, `US$`, `Fr.`) and name (`euro`, `Dollar`,
/// `Schweizer Franken`). A symbol or word several countries use (`$`, `kr`, `peso`) takes the country's
/// currency when a country is given; without one `$` and `dollar` are USD, the others an error.
enum Currencies {
    struct Term {
        let code: String?
        var byCountry: [String: String] = [:]
    }

    private static let dollars = [
        "CA": "CAD", "AU": "AUD", "NZ": "NZD", "SG": "SGD", "HK": "HKD", "MX": "MXN", "TW": "TWD", "JM": "JMD",
        "BS": "BSD", "BB": "BBD", "BZ": "BZD", "BM": "BMD", "KY": "KYD", "FJ": "FJD", "GY": "GYD", "LR": "LRD",
        "NA": "NAD", "SB": "SBD", "SR": "SRD", "TT": "TTD", "BN": "BND", "AR": "ARS", "CL": "CLP", "CO": "COP",
        "CU": "CUP", "DO": "DOP", "UY": "UYU", "AG": "XCD", "DM": "XCD", "GD": "XCD", "KN": "XCD", "LC": "XCD",
        "VC": "XCD", "AI": "XCD", "MS": "XCD", "KI": "AUD", "TV": "AUD", "NR": "AUD", "CK": "NZD", "NU": "NZD",
    ]
    private static let pesos = ["MX": "MXN", "AR": "ARS", "CL": "CLP", "CO": "COP", "CU": "CUP", "DO": "DOP",
                                "PH": "PHP", "UY": "UYU"]
    private static let crowns = ["SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK", "FO": "DKK", "GL": "DKK"]
    private static let pounds = ["EG": "EGP", "GI": "GIP", "FK": "FKP", "SH": "SHP", "SS": "SSP", "SY": "SYP",
                                 "LB": "LBP"]
    private static let rupees = ["PK": "PKR", "LK": "LKR", "NP": "NPR", "MU": "MUR", "SC": "SCR", "ID": "IDR"]
    private static let yen = ["CN": "CNY"]

    /// Symbols, matched without spaces and ignoring ASCII case.
    private static let symbols: [String: Term] = {
        var t: [String: Term] = [:]
        func add(_ names: String, _ code: String?, _ byCountry: [String: String] = [:]) {
            for n in names.split(separator: "|") { t[symbolKey(String(n))] = Term(code: code, byCountry: byCountry) }
        }
        add("€", "EUR"); add("$", "USD", dollars); add("US$|U$S|USD$", "USD"); add("£", "GBP", pounds)
        add("¥|￥", "JPY", yen); add("元|CN¥|RMB¥", "CNY"); add("₹|Rs|Rs.", "INR", rupees); add("₽|руб", "RUB")
        add("₩", "KRW"); add("₺|TL", "TRY"); add("₪", "ILS"); add("₫", "VND"); add("฿", "THB"); add("₴", "UAH")
        add("₦", "NGN"); add("₱", "PHP"); add("₡", "CRC"); add("₸", "KZT"); add("zł|zl", "PLN"); add("Kč|Kc", "CZK")
        add("Ft", "HUF"); add("kr|kr.|:-", nil, crowns); add("Fr.|Fr|SFr.|SFr|Fr.sv.", "CHF"); add("R$", "BRL")
        add("C$|CA$|Can$", "CAD"); add("A$|AU$", "AUD"); add("NZ$", "NZD"); add("HK$", "HKD"); add("S$|SG$", "SGD")
        add("MX$|Mex$", "MXN"); add("R", "ZAR"); add("lei", "RON"); add("RM", "MYR"); add("Rp", "IDR")
        add("лв", "BGN"); add("DH|Dhs", "AED"); add("NT$", "TWD")
        return t
    }()

    /// Names and words, matched by `TextFolding` key; the ISO English names are added to these.
    private static let words: [String: Term] = {
        var t: [String: Term] = [:]
        for (code, numeric, name) in iso {
            t[numeric] = Term(code: code)
            for k in TextFolding.keys(name) { t[k] = Term(code: code) }
        }
        func add(_ names: String, _ code: String?, _ byCountry: [String: String] = [:]) {
            for n in names.split(separator: "|") {
                for k in TextFolding.keys(String(n)) { t[k] = Term(code: code, byCountry: byCountry) }
            }
        }
        add("euro|euros|eur|Euro-Cent", "EUR")
        add("dollar|dollars|US dollar|US dollars|U.S. dollar|American dollar|dólar|dolar|Dollar américain", "USD", dollars)
        add("peso|pesos", nil, pesos); add("krone|kroner|kr", nil, crowns); add("krona|kronor|Swedish krona", "SEK")
        add("pound|pounds|sterling|pound sterling|British pound|quid|Pfund|livre sterling|libra esterlina", "GBP", pounds)
        add("franc|francs|franken|Schweizer Franken|franc suisse|franco svizzero|Swiss francs", "CHF")
        add("yen|Japanese yen", "JPY"); add("yuan|renminbi|RMB|Chinese yuan", "CNY")
        add("rupee|rupees|Indian rupee", "INR", rupees); add("real|reais|Brazilian real", "BRL")
        add("zloty|złoty|zlotych", "PLN"); add("forint", "HUF"); add("koruna|Czech koruna", "CZK")
        add("lira|Turkish lira", "TRY"); add("ruble|rouble|rubel|rubles", "RUB"); add("won|South Korean won", "KRW")
        add("rand", "ZAR"); add("dirham", "AED"); add("leu|lei", "RON"); add("lev", "BGN"); add("hryvnia", "UAH")
        add("shekel|new shekel", "ILS"); add("baht", "THB"); add("ringgit", "MYR"); add("rupiah", "IDR")
        return t
    }()

    private static let codes: Set<UInt32> = Set(iso.map { pack(Array($0.0.utf8)) })

    private static func pack(_ letters: some Collection<UInt8>) -> UInt32 {
        letters.reduce(0) { ($0 << 8) | UInt32($1 & 0xDF) }
    }

    private static func symbolKey(_ s: String) -> String {
        String(decoding: s.utf8.filter { $0 != 0x20 }.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func isISOCode(_ b: some Collection<UInt8>) -> Bool {
        b.count == 3 && b.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A } && codes.contains(pack(b))
    }

    /// Whether these bytes name a currency next to an amount (`€`, `USD`, `Fr.`, `euros`).
    static func isAffix(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if isISOCode(b) { return true }
        let text = String(decoding: b, as: UTF8.self)
        return symbols[symbolKey(text)] != nil || words[TextFolding.key(text)] != nil
    }

    /// The ISO 4217 code for a code, symbol or name; `country` (a `Countries` name or code) settles `$`, `kr`, ….
    static func code(for raw: String, country: String?) throws(OnrampError) -> String {
        let text = raw.trimmingSpaces
        if isISOCode(text.utf8) { return text.uppercased() }
        guard let term = symbols[symbolKey(text)] ?? words[TextFolding.key(text)] else {
            throw CleansingText.error("clean.currency", raw, "is not a currency: expected an ISO 4217 code, a symbol "
                                      + "(€, $, £, Fr.) or a name (euro, dollar)")
        }
        var countryCode: String?
        if let country, !country.isEmpty {
            guard let c = Countries.code(for: country) else {
                throw CleansingText.error("clean.currency", country,
                                          "is not a country (for the currency \(CleansingText.quote(raw)))")
            }
            countryCode = c
        }
        if let countryCode, let local = term.byCountry[countryCode] { return local }
        if let code = term.code { return code }
        throw CleansingText.error("clean.currency", raw, "names the currency of several countries: give the country "
                                  + "(for example \(term.byCountry.keys.sorted().prefix(3).joined(separator: ", ")))")
    }
}

