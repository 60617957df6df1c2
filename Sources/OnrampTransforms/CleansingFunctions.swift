import OnrampCore
import OnrampExpression

/// Onramp's own JSONata functions for cleaning ERP and tax data, available in every step expression
/// (docs/pipeline-reference.md, "Functions"). An undefined or blank first argument gives undefined; bad
/// input is an `OnrampError` with a `clean.*` code naming the value.
public enum CleansingFunctions {
    public static let registry: JSONata.FunctionRegistry = {
        var r = JSONata.FunctionRegistry()
        // $parseDecimal("1.234,56") -> 1234.56; $parseDecimal("1.234", ",", ".") -> 1234.
        r.register("parseDecimal", signature: "<(sn)-s?s?:n>", arity: 3) { args in
            guard let value = args[0] else { return nil }
            if case .number = value { return value }
            guard case .string(let text) = value, !text.isBlank else { return nil }
            let separators = try DecimalText.separators(decimal: string(args, 1), group: string(args, 2))
            return .number(try DecimalText.parse(text, separators))
        }
        // $parseDate("03.11.2026", "DD.MM.YYYY") -> "2026-11-03"; $parseDate("45992", "excel") -> "2025-12-01".
        r.register("parseDate", signature: "<(sn)-s:s>", arity: 2) { args in
            guard let value = args[0], value.stringValue?.isBlank != true, let picture = string(args, 1) else { return nil }
            return .string(DateParsing.isoDate(try civil(value, picture).0))
        }
        // $parseDateTime("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "+01:00") -> "2026-11-03T14:05:00+01:00".
        r.register("parseDateTime", signature: "<(sn)-ss?:s>", arity: 3) { args in
            guard let value = args[0], value.stringValue?.isBlank != true, let picture = string(args, 1) else { return nil }
            let (c, offset) = try civil(value, picture)
            return .string(DateParsing.isoDateTime(c, offsetMinutes: try offset ?? zoneOffset(args, c)))
        }
        // $countryCode("Deutschland") -> "DE"; also "DEU", "276", "U.S.A.".
        r.register("countryCode", signature: "<(sn)-:s>", arity: 1) { args in
            guard let value = args[0], value.stringValue?.isBlank != true else { return nil }
            let text = value.scalarText ?? ""
            guard let code = Countries.code(for: text) else {
                throw CleansingText.error("clean.country", text, "is not a country: expected an ISO 3166 code "
                                          + "(DE, DEU, 276) or a name (Germany, Deutschland)")
            }
            return .string(code)
        }
        // $regionCode("US", "California") -> "CA"; the one-argument $regionCode("California") is US/Canada only.
        // No signature: a signature would pad the arguments, and the two forms differ in their count.
        r.register("regionCode", arity: 2) { args in
            guard (1...2).contains(args.count), args.allSatisfy({ $0 == nil || $0?.stringValue != nil }) else {
                throw OnrampError("clean.region", "$regionCode takes a country and a region name (two strings)")
            }
            guard case .string(let first)? = args[0] else { return nil }
            if args.count == 1 { return Regions.northAmericanCode(first).map(Value.string) }
            guard let name = string(args, 1), !name.isBlank else { return nil }
            return .string(try Regions.code(country: first, name: name))
        }
        // $currencyCode("€") -> "EUR"; $currencyCode("$", "Canada") -> "CAD".
        r.register("currencyCode", signature: "<s-s?:s>", arity: 2) { args in
            guard case .string(let text)? = args[0], !text.isBlank else { return nil }
            return .string(try Currencies.code(for: text, country: string(args, 1)))
        }
        // $money(2.675) -> 2.68: half away from zero on the decimal value, 2 places unless given.
        r.register("money", signature: "<(sn)-n?:n>", arity: 2) { args in
            guard let value = args[0] else { return nil }
            var number: Double
            switch value {
            case .number(let d): number = d
            case .string(let s): number = try DecimalText.parse(s)
            default: return nil
            }
            var decimals = 2
            if args.count > 1, case .number(let d)? = args[1] {
                guard d == d.rounded(), (-15...15).contains(d) else {
                    throw OnrampError("clean.money", "$money's decimals must be a whole number from -15 to 15, not "
                                      + NumberFormatting.javaScript(d))
                }
                decimals = Int(d)
            }
            number = MoneyRounding.round(number, decimals: decimals)
            return .number(number)
        }
        // $hash(value) -> sha256 hex; $hash(value, "md5").
        r.register("hash", signature: "<x-s?:s>", arity: 2) { args in
            guard let value = args[0] else { return nil }
            return .string(try ValueHash.hex(value, algorithm: string(args, 1) ?? "sha256"))
        }
        // $uuid() -> a random version 4 UUID, different on every call (not reproducible across runs).
        r.register("uuid", signature: "<:s>", arity: 0) { _ in .string(ValueHash.uuid()) }
        return r
    }()

    private static func string(_ args: [Value?], _ i: Int) -> String? {
        guard i < args.count, case .string(let s)? = args[i] else { return nil }
        return s
    }

    private static func isExcel(_ picture: String) -> Bool {
        let p = picture.lowercased()
        return p == "excel" || p == "excel1904"
    }

    /// The checked date and time of `value` read with `picture` (`excel`/`excel1904`: a serial number), and
    /// the zone offset the text gave.
    private static func civil(_ value: Value, _ picture: String) throws(OnrampError) -> (DateParsing.Civil, Int?) {
        if isExcel(picture) {
            let serial: Double
            switch value {
            case .number(let d): serial = d
            case .string(let s): serial = try DecimalText.parse(s)
            default: throw OnrampError("clean.date", "an Excel serial date is a number, not \(value.typeName)")
            }
            return (try DateParsing.excel(serial, system1904: picture.lowercased() == "excel1904",
                                          text: value.scalarText ?? ""), nil)
        }
        guard case .string(let text) = value else {
            throw OnrampError("clean.date", "a date read with the picture \(CleansingText.quote(picture)) is text, "
                              + "not \(value.typeName)")
        }
        let fields = try DateParsing.fields(text, picture: picture)
        return (try DateParsing.civil(fields, text: text, picture: picture), fields.offsetMinutes)
    }

    /// The zone argument's offset at `c`; UTC when there is none.
    private static func zoneOffset(_ args: [Value?], _ c: DateParsing.Civil) throws(OnrampError) -> Int {
        guard let zone = string(args, 2), !zone.isEmpty else { return 0 }
        return try DateParsing.offset(zone: zone, at: c)
    }
}
