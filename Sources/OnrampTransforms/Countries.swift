/// ISO 3166-1 countries by alpha-2, alpha-3, numeric code and name: ISO short names, common English
/// variants and the countries' own names, matched by `TextFolding` keys (case, accents, spaces and
/// punctuation do not matter).
enum Countries {
    /// Common names and spellings beside the ISO ones, by alpha-2: English variants and local names.
    static let variants: [(String, String)] = [
        ("US", "USA|U.S.|U.S.A.|United States of America|America|Vereinigte Staaten|Etats-Unis|Estados Unidos"),
        ("US", "Stati Uniti|Verenigde Staten|Estados Unidos da America"),
        ("GB", "UK|U.K.|Great Britain|Britain|England|Scotland|Wales|Northern Ireland|Grossbritannien"),
        ("GB", "Vereinigtes Konigreich|Royaume-Uni|Reino Unido|Regno Unito|Verenigd Koninkrijk"),
        ("DE", "Deutschland|Allemagne|Alemania|Germania|Duitsland|Alemanha|Niemcy|Nemecko|BRD"),
        ("AT", "Österreich|Autriche|Austria|Oostenrijk|Rakousko"),
        ("CH", "Schweiz|Suisse|Svizzera|Svizra|Suiza|Zwitserland|Suica|Confoederatio Helvetica|Helvetia"),
        ("NL", "Nederland|Holland|The Netherlands|Netherlands|Niederlande|Pays-Bas|Paises Bajos|Paesi Bassi"),
        ("BE", "Belgie|België|Belgique|Belgien|Belgica|Belgio"),
        ("LU", "Luxemburg|Lëtzebuerg|Luxembourg"),
        ("FR", "Frankreich|Francia|Frankrijk|Franca"),
        ("ES", "España|Spanien|Espagne|Spagna|Spanje|Espanha"),
        ("PT", "Portugal|Portogallo"),
        ("IT", "Italia|Italien|Italie|Italië"),
        ("DK", "Danmark|Dänemark|Danemark|Dinamarca|Danimarca|Denemarken"),
        ("SE", "Sverige|Schweden|Suede|Suecia|Svezia|Zweden"),
        ("NO", "Norge|Noreg|Norwegen|Norvege|Noruega|Norvegia|Noorwegen"),
        ("FI", "Suomi|Finnland|Finlande|Finlandia"),
        ("IS", "Ísland|Island"),
        ("IE", "Éire|Eire|Irland|Irlande|Irlanda|Ierland|Republic of Ireland"),
        ("PL", "Polska|Polen|Pologne|Polonia"),
        ("CZ", "Česko|Česká republika|Czech Republic|Tschechien|Tschechische Republik|Tchequie|Chequia"),
        ("SK", "Slovensko|Slowakei|Slovaquie|Eslovaquia|Slovak Republic"),
        ("HU", "Magyarország|Ungarn|Hongrie|Hungria|Ungheria|Hongarije"),
        ("SI", "Slovenija|Slowenien"), ("HR", "Hrvatska|Kroatien|Croatie|Croacia"),
        ("RS", "Srbija|Serbien"), ("BA", "Bosna i Hercegovina|Bosnia|Bosnien und Herzegowina"),
        ("ME", "Crna Gora|Montenegro"), ("MK", "Macedonia|Severna Makedonija|Nordmazedonien"),
        ("AL", "Shqipëria|Albanien"), ("BG", "Bulgarien|Bulgarie|Balgariya"), ("RO", "România|Rumänien|Roumanie"),
        ("GR", "Hellas|Ellada|Elláda|Griechenland|Grece|Grecia|Griekenland|EL"),
        ("CY", "Kypros|Zypern|Chypre"), ("MT", "Malta"), ("TR", "Turkey|Türkiye|Turkei|Turquie|Turquia|Turchia|Turkije"),
        ("EE", "Eesti|Estland"), ("LV", "Latvija|Lettland|Lettonie"), ("LT", "Lietuva|Litauen|Lituanie"),
        ("UA", "Ukraina|Ukraine"), ("BY", "Belarus|Byelorussia|Weissrussland"),
        ("RU", "Russia|Rossiya|Russland|Russie|Rusia"), ("MD", "Moldova|Moldau"),
        ("LI", "Liechtenstein"), ("MC", "Monaco"), ("SM", "San Marino"), ("AD", "Andorra"),
        ("VA", "Vatican|Vatican City|Città del Vaticano|Vatikanstadt|Holy See"),
        ("MX", "México|Mexiko|Mexique|Messico|Estados Unidos Mexicanos"),
        ("BR", "Brasil|Brasilien|Bresil|Brasile|Brazilië"),
        ("AR", "Argentinien|Argentine"), ("CL", "Chile"), ("CO", "Colombia|Kolumbien"), ("PE", "Perú"),
        ("CA", "Kanada|Canadá"), ("KR", "Korea|Republic of Korea|Südkorea"), ("KP", "DPRK|Nordkorea"),
        ("CN", "PRC|People's Republic of China|Zhongguo|Volksrepublik China"), ("JP", "Nippon|Nihon|Japon|Giappone"),
        ("IN", "Bharat|Indien|Inde"), ("TW", "Republic of China|ROC"), ("HK", "Hong Kong SAR"), ("MO", "Macau|Macao SAR"),
        ("VN", "Vietnam"), ("LA", "Laos"), ("SY", "Syria"), ("IR", "Iran|Persia"),
        ("CI", "Ivory Coast|Côte d'Ivoire|Elfenbeinküste"), ("CV", "Cape Verde"), ("SZ", "Swaziland"),
        ("CD", "DR Congo|DRC|Democratic Republic of the Congo|Congo-Kinshasa"),
        ("CG", "Republic of the Congo|Congo-Brazzaville"),
        ("MM", "Burma"), ("TL", "East Timor"), ("AE", "UAE|U.A.E.|Emirates"), ("SA", "KSA"),
        ("ZA", "Südafrika|Suid-Afrika|RSA"), ("NZ", "Aotearoa|Neuseeland"), ("AU", "Australien"),
        ("EG", "Ägypten|Misr"), ("MA", "Marokko|Maroc"), ("TN", "Tunesien"), ("DZ", "Algerien|Algérie"),
        ("BO", "Bolivia"), ("VE", "Venezuela"), ("TZ", "Tanzania"), ("FM", "Micronesia"), ("MD", "Moldavia"),
        ("PS", "Palestine"), ("VG", "British Virgin Islands|BVI"), ("VI", "US Virgin Islands|USVI"),
        ("FO", "Føroyar|Faroe Islands"), ("GL", "Kalaallit Nunaat|Grönland"), ("IL", "Israel"),
    ]

    private struct Index {
        var byKey: [String: String] = [:]
        var alpha2: [String: (alpha3: String, numeric: String, name: String)] = [:]
        /// Keys two different countries claimed (a table mistake; the tests check that there are none).
        var conflicts: [String] = []

        mutating func add(_ key: String, _ code: String) {
            guard !key.isEmpty else { return }
            if let old = byKey[key], old != code { conflicts.append("\(key): \(old)/\(code)"); return }
            byKey[key] = code
        }
    }

    private static let index: Index = {
        var index = Index()
        for (a2, a3, numeric, name, _) in iso {
            index.alpha2[a2] = (a3, numeric, name)
            index.add(TextFolding.key(a2), a2)
            index.add(TextFolding.key(a3), a2)
            index.add(numeric, a2)
            if let n = Int(numeric) { index.add(String(n), a2) }
        }
        for (a2, _, _, name, others) in iso {
            for n in [name] + others.split(separator: "|").map(String.init) {
                for k in TextFolding.keys(n) { index.add(k, a2) }
                // "Korea, Republic of" is also written "Republic of Korea".
                if let comma = n.firstIndex(of: ","), n.hasSuffix(" of") || n.hasSuffix(" of the") {
                    let tail = n[n.index(after: comma)...].drop(while: { $0 == " " })
                    for k in TextFolding.keys(String(tail) + " " + String(n[..<comma])) { index.add(k, a2) }
                }
            }
            for k in TextFolding.keys("the " + name) { index.add(k, a2) }
        }
        for (a2, names) in variants {
            for n in names.split(separator: "|") { for k in TextFolding.keys(String(n)) { index.add(k, a2) } }
        }
        return index
    }()

    /// The alpha-2 code for a name or code, or nil when none matches.
    static func code(for text: String) -> String? { index.byKey[TextFolding.key(text)] }

    static func alpha3(of alpha2: String) -> String? { index.alpha2[alpha2]?.alpha3 }

    static var conflicts: [String] { index.conflicts }
}
