import OnrampCore

/// ISO 3166-2 subdivision codes (the part after `US-`) of the countries TAXMAN customers ship to most:
/// US states, DC and territories; Canadian provinces and territories; Australian states and territories;
/// Mexican and Brazilian states; German Länder. English and local names, matched by `TextFolding` key.
enum Regions {
    /// Per country: code and its names (`|`-separated), the ISO 3166-2 name first.
    static let tables: [String: [(String, String)]] = [
        "US": [
            ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
            ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("FL", "Florida"), ("GA", "Georgia"),
            ("HI", "Hawaii|Hawaiʻi"), ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"),
            ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
            ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"), ("MO", "Missouri"),
            ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"), ("NH", "New Hampshire"), ("NJ", "New Jersey"),
            ("NM", "New Mexico"), ("NY", "New York|New York State"), ("NC", "North Carolina"), ("ND", "North Dakota"),
            ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
            ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
            ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington|Washington State"), ("WV", "West Virginia"),
            ("WI", "Wisconsin"), ("WY", "Wyoming"),
            ("DC", "District of Columbia|Washington DC|Washington D.C.|Washington, D.C."),
            ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"), ("PR", "Puerto Rico"),
            ("UM", "United States Minor Outlying Islands|U.S. Minor Outlying Islands"),
            ("VI", "Virgin Islands, U.S.|U.S. Virgin Islands|US Virgin Islands|United States Virgin Islands"),
        ],
        "CA": [
            ("AB", "Alberta"), ("BC", "British Columbia|Colombie-Britannique"), ("MB", "Manitoba"),
            ("NB", "New Brunswick|Nouveau-Brunswick"),
            ("NL", "Newfoundland and Labrador|Terre-Neuve-et-Labrador|Newfoundland"),
            ("NS", "Nova Scotia|Nouvelle-Écosse"), ("NT", "Northwest Territories|Territoires du Nord-Ouest"),
            ("NU", "Nunavut"), ("ON", "Ontario"), ("PE", "Prince Edward Island|Île-du-Prince-Édouard"),
            ("QC", "Quebec|Québec|PQ"), ("SK", "Saskatchewan"), ("YT", "Yukon|Yukon Territory"),
        ],
        "AU": [
            ("ACT", "Australian Capital Territory"), ("NSW", "New South Wales"), ("NT", "Northern Territory"),
            ("QLD", "Queensland"), ("SA", "South Australia"), ("TAS", "Tasmania"), ("VIC", "Victoria"),
            ("WA", "Western Australia"),
        ],
        "MX": [
            ("AGU", "Aguascalientes"), ("BCN", "Baja California"), ("BCS", "Baja California Sur"), ("CAM", "Campeche"),
            ("CHH", "Chihuahua"), ("CHP", "Chiapas"),
            ("CMX", "Ciudad de México|Mexico City|CDMX|Distrito Federal|México D.F.|Mexico DF"),
            ("COA", "Coahuila de Zaragoza|Coahuila"), ("COL", "Colima"), ("DUR", "Durango"), ("GRO", "Guerrero"),
            ("GUA", "Guanajuato"), ("HID", "Hidalgo"), ("JAL", "Jalisco"),
            ("MEX", "México|Estado de México|State of Mexico|Edomex"), ("MIC", "Michoacán de Ocampo|Michoacán"),
            ("MOR", "Morelos"), ("NAY", "Nayarit"), ("NLE", "Nuevo León"), ("OAX", "Oaxaca"), ("PUE", "Puebla"),
            ("QUE", "Querétaro|Querétaro de Arteaga"), ("ROO", "Quintana Roo"), ("SIN", "Sinaloa"),
            ("SLP", "San Luis Potosí"), ("SON", "Sonora"), ("TAB", "Tabasco"), ("TAM", "Tamaulipas"),
            ("TLA", "Tlaxcala"), ("VER", "Veracruz de Ignacio de la Llave|Veracruz"), ("YUC", "Yucatán"),
            ("ZAC", "Zacatecas"),
        ],
        "BR": [
            ("AC", "Acre"), ("AL", "Alagoas"), ("AP", "Amapá"), ("AM", "Amazonas"), ("BA", "Bahia"), ("CE", "Ceará"),
            ("DF", "Distrito Federal|Federal District|Brasília"), ("ES", "Espírito Santo"), ("GO", "Goiás"),
            ("MA", "Maranhão"), ("MT", "Mato Grosso"), ("MS", "Mato Grosso do Sul"), ("MG", "Minas Gerais"),
            ("PA", "Pará"), ("PB", "Paraíba"), ("PR", "Paraná"), ("PE", "Pernambuco"), ("PI", "Piauí"),
            ("RJ", "Rio de Janeiro"), ("RN", "Rio Grande do Norte"), ("RS", "Rio Grande do Sul"), ("RO", "Rondônia"),
            ("RR", "Roraima"), ("SC", "Santa Catarina"), ("SP", "São Paulo"), ("SE", "Sergipe"), ("TO", "Tocantins"),
        ],
        "DE": [
            ("BW", "Baden-Württemberg"), ("BY", "Bayern|Bavaria|Freistaat Bayern"), ("BE", "Berlin"),
            ("BB", "Brandenburg"), ("HB", "Bremen|Freie Hansestadt Bremen"), ("HH", "Hamburg|Freie und Hansestadt Hamburg"),
            ("HE", "Hessen|Hesse"),
            ("MV", "Mecklenburg-Vorpommern|Mecklenburg-Western Pomerania|Mecklenburg-West Pomerania"),
            ("NI", "Niedersachsen|Lower Saxony"), ("NW", "Nordrhein-Westfalen|North Rhine-Westphalia|NRW"),
            ("RP", "Rheinland-Pfalz|Rhineland-Palatinate"), ("SL", "Saarland"), ("SN", "Sachsen|Saxony|Freistaat Sachsen"),
            ("ST", "Sachsen-Anhalt|Saxony-Anhalt"), ("SH", "Schleswig-Holstein"),
            ("TH", "Thüringen|Thuringia|Freistaat Thüringen"),
        ],
    ]

    private struct Table {
        var byKey: [String: String] = [:]
        var codes: Set<String> = []
    }

    private static let index: [String: Table] = tables.mapValues { rows in
        var t = Table()
        for (code, names) in rows {
            t.codes.insert(code)
            for n in names.split(separator: "|") { for k in TextFolding.keys(String(n)) { t.byKey[k] = code } }
        }
        return t
    }

    /// The code of `name` in `country` (any `Countries` name or code); a code is returned as it is once checked.
    static func code(country: String, name: String) throws(OnrampError) -> String {
        guard let cc = Countries.code(for: country) else {
            throw CleansingText.error("clean.region", country,
                                      "is not a country (for the region \(CleansingText.quote(name)))")
        }
        guard let table = index[cc] else {
            throw CleansingText.error("clean.region", country, "has no region table: regions are known for "
                                      + tables.keys.sorted().joined(separator: ", "))
        }
        var text = name.trimmingSpaces.uppercased()
        if text.hasPrefix(cc + "-") { text.removeFirst(3) }
        if table.codes.contains(text) { return text }
        if let code = table.byKey[TextFolding.key(name)] { return code }
        throw CleansingText.error("clean.region", name, "is not a region of \(cc): expected a name or one of "
                                  + "\(table.codes.count) codes such as "
                                  + table.codes.sorted().prefix(3).joined(separator: ", "))
    }

    /// The one-argument form kept from the first release: a US state or Canadian province name to its code,
    /// two letters as they are (uppercased), and undefined (nil) for anything else.
    static func northAmericanCode(_ name: String) -> String? {
        let text = name.trimmingSpaces
        if text.count == 2 { return text.uppercased() }
        let key = TextFolding.key(text)
        return index["US"]?.byKey[key] ?? index["CA"]?.byKey[key]
    }
}
