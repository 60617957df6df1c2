import OnrampCore
@testable import OnrampTransforms
import Testing

/// $countryCode over all of ISO 3166-1 and $regionCode over every region table, conformance style.
@Suite struct CountryRegionTests {
    @Test func everyCountryRoundTripsByNameAndCodes() throws {
        #expect(Countries.iso.count == 249)
        #expect(Set(Countries.iso.map(\.0)).count == 249 && Set(Countries.iso.map(\.1)).count == 249)
        #expect(Countries.conflicts.isEmpty, "\(Countries.conflicts)")
        for (alpha2, alpha3, numeric, name, others) in Countries.iso {
            var inputs = [alpha2, alpha2.lowercased(), alpha3, alpha3.lowercased(), numeric, String(Int(numeric)!), name,
                          name.uppercased(), " \(name) "]
            inputs += others.split(separator: "|").map(String.init)
            for input in inputs {
                #expect(try clean("$countryCode($a)", .string(input)) == .string(alpha2), "\(input) → \(alpha2)")
            }
        }
    }

    static let commonNames: [(String, String)] = [
        ("U.S.A.", "US"), ("USA", "US"), ("United States of America", "US"), ("united states", "US"), ("UK", "GB"),
        ("Great Britain", "GB"), ("United Kingdom", "GB"), ("England", "GB"), ("Holland", "NL"), ("The Netherlands", "NL"),
        ("Deutschland", "DE"), ("Österreich", "AT"), ("Oesterreich", "AT"), ("Osterreich", "AT"),
        ("O\u{308}sterreich", "AT"), ("España", "ES"), ("Espana", "ES"), ("Nederland", "NL"), ("Schweiz", "CH"),
        ("Suisse", "CH"), ("Svizzera", "CH"), ("Italia", "IT"), ("Brasil", "BR"), ("México", "MX"), ("Mexico", "MX"),
        ("Polska", "PL"), ("Česko", "CZ"), ("Cesko", "CZ"), ("Czechia", "CZ"), ("Czech Republic", "CZ"),
        ("Belgique", "BE"), ("België", "BE"), ("Danmark", "DK"), ("Sverige", "SE"), ("Norge", "NO"), ("Suomi", "FI"),
        ("Magyarország", "HU"), ("Türkiye", "TR"), ("Turkey", "TR"), ("Vietnam", "VN"), ("Viet Nam", "VN"),
        ("South Korea", "KR"), ("Korea, Republic of", "KR"), ("Republic of Korea", "KR"), ("North Korea", "KP"),
        ("Russia", "RU"), ("Côte d'Ivoire", "CI"), ("Cote dIvoire", "CI"), ("Ivory Coast", "CI"), ("DEU", "DE"),
        ("276", "DE"), ("040", "AT"), ("40", "AT"), ("GERMANY", "DE"), ("  germany ", "DE"), ("Bolivia", "BO"),
        ("Iran", "IR"), ("Taiwan", "TW"), ("Hellas", "GR"), ("Éire", "IE"), ("Lëtzebuerg", "LU"), ("Hrvatska", "HR"),
        ("România", "RO"), ("Ísland", "IS"), ("Kanada", "CA"), ("Democratic Republic of the Congo", "CD"), ("Congo", "CG"),
        ("United Arab Emirates", "AE"), ("UAE", "AE"), ("Micronesia", "FM"), ("Vatican", "VA"), ("Holy See", "VA"),
        ("Falkland Islands", "FK"), ("Saint Martin", "MF"), ("Sint Maarten", "SX"), ("Bonaire, Sint Eustatius and Saba", "BQ"),
    ]

    @Test(arguments: commonNames) func commonAndLocalNames(_ input: String, _ alpha2: String) throws {
        #expect(try clean("$countryCode($a)", .string(input)) == .string(alpha2))
    }

    @Test func unknownCountriesAreErrors() throws {
        let e = cleanFailure("$countryCode($a)", .string("Atlantis"))
        #expect(e?.code == "clean.country" && e?.message.hasPrefix("'Atlantis' is not a country") == true, "\(String(describing: e))")
        for bad in ["", "X", "ZZ", "999", "Germany2"] where !bad.isEmpty {
            #expect(cleanFailure("$countryCode($a)", .string(bad))?.code == "clean.country", "\(bad)")
        }
        #expect(try clean("$countryCode(276)") == "DE")
        #expect(try clean("$countryCode(undefined)") == nil)
        #expect(try clean("$countryCode($a)", .string(" ")) == nil)
    }

    /// ISO 3166-2 lists 57 US entries (states, DC, outlying areas), 13 Canadian, 8 Australian, 32 Mexican,
    /// 27 Brazilian and 16 German ones.
    @Test func regionTablesAreCompleteAndRoundTrip() throws {
        let expected = ["US": 57, "CA": 13, "AU": 8, "MX": 32, "BR": 27, "DE": 16]
        #expect(Regions.tables.mapValues(\.count) == expected)
        for (country, rows) in Regions.tables {
            #expect(Set(rows.map(\.0)).count == rows.count, "\(country) has a code twice")
            for (code, names) in rows {
                var inputs = [code, code.lowercased(), "\(country)-\(code)"]
                for n in names.split(separator: "|").map(String.init) { inputs += [n, n.uppercased(), n.lowercased()] }
                for input in inputs {
                    #expect(try clean("$regionCode($a, $b)", .string(country), .string(input)) == .string(code),
                            "\(country) \(input) → \(code)")
                }
            }
        }
    }

    static let spellings: [(String, String, String)] = [
        ("US", "california", "CA"), ("United States", "New York", "NY"), ("USA", "Washington, D.C.", "DC"),
        ("US", "Puerto Rico", "PR"), ("CA", "Quebec", "QC"), ("Canada", "Québec", "QC"), ("CA", "Nouvelle-Ecosse", "NS"),
        ("CA", "Ile-du-Prince-Edouard", "PE"), ("AU", "Victoria", "VIC"), ("Australia", "nsw", "NSW"),
        ("MX", "Nuevo Leon", "NLE"), ("México", "Ciudad de Mexico", "CMX"), ("MX", "CDMX", "CMX"), ("MX", "Yucatan", "YUC"),
        ("MX", "Michoacan", "MIC"), ("BR", "Sao Paulo", "SP"), ("Brasil", "São Paulo", "SP"), ("BR", "Ceara", "CE"),
        ("BR", "Goias", "GO"), ("BR", "Rondonia", "RO"), ("BR", "Espirito Santo", "ES"), ("BR", "Amapa", "AP"),
        ("DE", "Bayern", "BY"), ("Germany", "Bavaria", "BY"), ("Deutschland", "Baden-Württemberg", "BW"),
        ("DE", "Baden-Wuerttemberg", "BW"), ("DE", "Baden Wurttemberg", "BW"), ("DE", "Thueringen", "TH"),
        ("DEU", "NRW", "NW"), ("DE", "North Rhine-Westphalia", "NW"), ("DE", "Nordrhein Westfalen", "NW"),
        ("276", "Niedersachsen", "NI"),
    ]

    @Test(arguments: spellings) func regionSpellings(_ country: String, _ name: String, _ code: String) throws {
        #expect(try clean("$regionCode($a, $b)", .string(country), .string(name)) == .string(code))
    }

    @Test func regionErrorsAndTheOneArgumentForm() throws {
        let unknown = cleanFailure("$regionCode($a, $b)", .string("US"), .string("Atlantis"))
        #expect(unknown?.code == "clean.region" && unknown?.message.hasPrefix("'Atlantis' is not a region of US") == true,
                "\(String(describing: unknown))")
        #expect(cleanFailure("$regionCode('US', 'ZZ')")?.code == "clean.region")
        #expect(cleanFailure("$regionCode('DE', 'CA')")?.code == "clean.region")
        #expect(cleanFailure("$regionCode('FR', 'Paris')")?.message.contains("has no region table") == true)
        #expect(cleanFailure("$regionCode('Atlantis', 'North')")?.message.contains("is not a country") == true)
        #expect(cleanFailure("$regionCode(1, 2)")?.code == "clean.region")
        #expect(cleanFailure("$regionCode('US', 'CA', 'x')")?.code == "clean.region")
        #expect(try clean("$regionCode('US', undefined)") == nil)
        #expect(try clean("$regionCode(undefined, 'California')") == nil)
        // The first release's one-argument form: US/Canadian names, two letters as they are, else undefined.
        #expect(try clean("$regionCode('California')") == "CA")
        #expect(try clean("$regionCode('Québec')") == "QC" && clean("$regionCode('quebec')") == "QC")
        #expect(try clean("$regionCode('tx')") == "TX")
        #expect(try clean("$regionCode('Atlantis')") == nil)
    }
}
