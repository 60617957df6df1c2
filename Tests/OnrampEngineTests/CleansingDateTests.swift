import Foundation
import OnrampCore
import OnrampTransforms
import Testing

/// $parseDate and $parseDateTime: pictures, month names in seven languages, two-digit years, Excel serials, zones.
@Suite struct CleansingDateTests {
    static let dates: [(String, String, String)] = [
        ("03.11.2026", "DD.MM.YYYY", "2026-11-03"), ("3.11.2026", "DD.MM.YYYY", "2026-11-03"),
        ("3.1.2026", "D.M.YYYY", "2026-01-03"), ("11/03/26", "MM/DD/YY", "2026-11-03"),
        ("11/03/68", "MM/DD/YY", "2068-11-03"), ("11/03/69", "MM/DD/YY", "1969-11-03"), ("01/01/00", "MM/DD/YY", "2000-01-01"),
        ("20260301", "YYYYMMDD", "2026-03-01"), ("260301", "YYMMDD", "2026-03-01"), ("2026-11-03", "YYYY-MM-DD", "2026-11-03"),
        ("01-Mar-2026", "DD-MMM-YYYY", "2026-03-01"), ("01-MAR-2026", "DD-MMM-YYYY", "2026-03-01"),
        ("3 März 2026", "D MMMM YYYY", "2026-03-03"), ("3 Maerz 2026", "D MMMM YYYY", "2026-03-03"),
        ("3 MÄRZ 2026", "D MMMM YYYY", "2026-03-03"), ("3 mars 2026", "D MMMM YYYY", "2026-03-03"),
        ("03 févr. 2026", "DD MMM YYYY", "2026-02-03"), ("03-févr.-2026", "DD-MMM-YYYY", "2026-02-03"),
        ("03 fevr 2026", "DD MMM YYYY", "2026-02-03"), ("15 août 2026", "D MMMM YYYY", "2026-08-15"),
        ("15 AOUT 2026", "D MMMM YYYY", "2026-08-15"), ("12 septiembre 2026", "D MMMM YYYY", "2026-09-12"),
        ("1 gennaio 2026", "D MMMM YYYY", "2026-01-01"), ("1 januari 2026", "D MMMM YYYY", "2026-01-01"),
        ("1 janeiro 2026", "D MMMM YYYY", "2026-01-01"), ("1 Jänner 2026", "D MMMM YYYY", "2026-01-01"),
        ("7 mrt 2026", "D MMM YYYY", "2026-03-07"), ("7 Okt. 2026", "D MMM. YYYY", "2026-10-07"),
        ("9 dic 2026", "D MMM YYYY", "2026-12-09"), ("9 dez 2026", "D MMM YYYY", "2026-12-09"),
        ("30 outubro 2026", "D MMMM YYYY", "2026-10-30"), ("5 mei 2026", "D MMMM YYYY", "2026-05-05"),
        ("March 3, 2026", "MMMM D, YYYY", "2026-03-03"), ("Tuesday, 3 November 2026", "dddd, D MMMM YYYY", "2026-11-03"),
        ("Dienstag, 3. November 2026", "dddd, D. MMMM YYYY", "2026-11-03"), ("mié 4 nov 2026", "ddd D MMM YYYY", "2026-11-04"),
        ("quarta-feira, 4 de novembro de 2026", "dddd, D 'de' MMMM 'de' YYYY", "2026-11-04"),
        ("29.02.2024", "DD.MM.YYYY", "2024-02-29"), ("  03.11.2026  ", "DD.MM.YYYY", "2026-11-03"),
        ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "2026-11-03"), ("2026-11-03T14:05:09Z", "YYYY-MM-DDTHH:mm:ssZ", "2026-11-03"),
        ("03.11.2026", "dd.MM.yyyy", "2026-11-03"),
    ]

    @Test(arguments: dates) func parsesDates(_ text: String, _ picture: String, _ iso: String) throws {
        #expect(try clean("$parseDate($a, $b)", .string(text), .string(picture)) == .string(iso), "\(text) / \(picture)")
    }

    @Test func refusesImpossibleAndMismatchedDates() throws {
        let cases: [(String, String, String)] = [
            ("31.02.2026", "DD.MM.YYYY", "is not a calendar date"), ("29.02.2025", "DD.MM.YYYY", "is not a calendar date"),
            ("32.01.2026", "DD.MM.YYYY", "is not a calendar date"), ("00.01.2026", "DD.MM.YYYY", "is not a calendar date"),
            ("01.13.2026", "DD.MM.YYYY", "is not a calendar date"), ("03.11.26", "DD.MM.YYYY", "expected 4 digits for YYYY"),
            ("3 Foo 2026", "D MMMM YYYY", "'Foo' is not a month name"), ("2026-11-03x", "YYYY-MM-DD", "unexpected text after"),
            ("03.11.2026", "DD/MM/YYYY", "expected '/'"), ("123.11.2026", "DD.MM.YYYY", "too many digits for DD"),
            ("03.11.", "DD.MM.YYYY", "expected 4 digits"), ("03.11.0000", "DD.MM.YYYY", "is not a calendar date"),
            ("03.11.2026", "DD.MM", "unexpected text after"), ("11.2026", "MM.YYYY", "needs a year"),
            ("Blursday, 3 November 2026", "dddd, D MMMM YYYY", "is not a weekday name"),
            ("03.11.2026", "DD.MM.Y", "a year is YY or YYYY"),
            ("99999999999999999999.1.1", "YY.MM.DD", "too many digits"), ("9223372036854775807.1.1", "YY.MM.DD", "too many digits"),
        ]
        for (text, picture, reason) in cases {
            let failure = cleanFailure("$parseDate($a, $b)", .string(text), .string(picture))
            #expect(failure?.code == "clean.date", "\(text) / \(picture): \(String(describing: failure))")
            let message = failure?.message ?? ""
            #expect(message.contains("'\(text)'") && message.contains("'\(picture)'") && message.contains(reason),
                    "\(text) / \(picture): \(message)")
        }
        #expect(cleanFailure("$parseDate($a, $b)", .string("31.02.2026"), .string("DD.MM.YYYY"))?.message
                == "'31.02.2026' is not a calendar date (picture 'DD.MM.YYYY')")
        #expect(try clean("$parseDate($a, $b)", .string(""), .string("DD.MM.YYYY")) == nil)
        #expect(try clean("$parseDate(undefined, 'DD.MM.YYYY')") == nil)
        #expect(cleanFailure("$parseDate(12, 'DD.MM.YYYY')")?.code == "clean.date")
        let mega = String(repeating: "1", count: 1 << 20)
        #expect(cleanFailure("$parseDate($a, $b)", .string(mega), .string("DD.MM.YYYY"))?.code == "clean.date")
        #expect(cleanFailure("$parseDate($a, $b)", .string("01.01.2026"), .string(mega))?.code == "clean.date")
        // A fraction 30 digits wide before another number: read as at most nine digits, no overflow.
        let wide = try clean("$parseDateTime($a, $b)", .string("20261103" + String(repeating: "1", count: 9) + "5"),
                             .string("YYYYMMDD" + String(repeating: "S", count: 30) + "s"))
        #expect(wide == "2026-11-03T00:00:05.111111111Z")
        for picture in [String(repeating: "Y", count: 1 << 16), String(repeating: "M", count: 1 << 16), "'unclosed"] {
            #expect(cleanFailure("$parseDate($a, $b)", .string("03.11.2026"), .string(picture))?.code == "clean.date")
        }
    }

    @Test func excelSerialDates() throws {
        let cases: [(Value, String, String)] = [
            ("45992", "excel", "2025-12-01"), (45992, "excel", "2025-12-01"), ("1", "excel", "1900-01-01"),
            ("59", "excel", "1900-02-28"), ("61", "excel", "1900-03-01"), ("45992.75", "excel", "2025-12-01"),
            ("45992,5", "EXCEL", "2025-12-01"), ("2958465", "excel", "9999-12-31"), ("0", "excel1904", "1904-01-01"),
            ("44530", "excel1904", "2025-12-01"), (25569, "excel", "1970-01-01"),
        ]
        for (value, picture, iso) in cases {
            #expect(try clean("$parseDate($a, $b)", value, .string(picture)) == .string(iso), "\(value) \(picture)")
        }
        #expect(try clean("$parseDateTime($a, 'excel')", "45992.5") == "2025-12-01T12:00:00Z")
        #expect(try clean("$parseDateTime($a, 'excel', '+01:00')", 45992.75) == "2025-12-01T18:00:00+01:00")
        let leap = cleanFailure("$parseDate($a, 'excel')", "60")
        #expect(leap?.code == "clean.date" && leap?.message.contains("1900-02-29") == true, "\(String(describing: leap))")
        for bad in ["0", "-1", "2958466", "1e300", "abc", 99_999_999] as [Value] {
            #expect(cleanFailure("$parseDate($a, 'excel')", bad)?.code.hasPrefix("clean.") == true, "\(bad)")
        }
    }

    @Test func dateTimesWithZones() throws {
        let cases: [(String, String, String?, String)] = [
            ("03.11.2026 14:05:09", "DD.MM.YYYY HH:mm:ss", nil, "2026-11-03T14:05:09Z"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "+01:00", "2026-11-03T14:05:00+01:00"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "+0100", "2026-11-03T14:05:00+01:00"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "-05", "2026-11-03T14:05:00-05:00"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "Z", "2026-11-03T14:05:00Z"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "UTC", "2026-11-03T14:05:00Z"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "Europe/Berlin", "2026-11-03T14:05:00+01:00"),
            ("03.07.2026 14:05", "DD.MM.YYYY HH:mm", "Europe/Berlin", "2026-07-03T14:05:00+02:00"),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "America/New_York", "2026-11-03T14:05:00-05:00"),
            ("2026-11-03T14:05:09.123+0530", "YYYY-MM-DDTHH:mm:ss.SSSZ", nil, "2026-11-03T14:05:09.123+05:30"),
            ("2026-11-03T14:05:09+02:00", "YYYY-MM-DDTHH:mm:ssZ", "-08:00", "2026-11-03T14:05:09+02:00"),
            ("2026-11-03 14:05:09 GMT+1", "YYYY-MM-DD HH:mm:ss Z", nil, "2026-11-03T14:05:09+01:00"),
            ("2026-11-03T14:05:09z", "YYYY-MM-DDTHH:mm:ssZ", nil, "2026-11-03T14:05:09Z"),
            ("03.11.2026 02:05 PM", "DD.MM.YYYY hh:mm a", nil, "2026-11-03T14:05:00Z"),
            ("03.11.2026 12:00 AM", "DD.MM.YYYY hh:mm a", nil, "2026-11-03T00:00:00Z"),
            ("03.11.2026 12:00 p.m.", "DD.MM.YYYY hh:mm a", nil, "2026-11-03T12:00:00Z"),
            ("03.11.2026", "DD.MM.YYYY", "+01:00", "2026-11-03T00:00:00+01:00"),
            ("20261103 140509", "YYYYMMDD HHmmss", nil, "2026-11-03T14:05:09Z"),
        ]
        for (text, picture, zone, iso) in cases {
            let v = try clean("$parseDateTime($a, $b, $c)", .string(text), .string(picture), zone.map(Value.string))
            #expect(v == .string(iso), "\(text) / \(picture) / \(zone ?? "-")")
        }
        let bad: [(String, String, String?)] = [
            ("03.11.2026 25:00", "DD.MM.YYYY HH:mm", nil), ("03.11.2026 14:60", "DD.MM.YYYY HH:mm", nil),
            ("03.11.2026 13:00 PM", "DD.MM.YYYY hh:mm a", nil), ("03.11.2026 02:00", "DD.MM.YYYY hh:mm", nil),
            ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "Mars/Olympus"), ("03.11.2026 14:05", "DD.MM.YYYY HH:mm", "+25:00"),
            ("2026-11-03T14:05:09+2", "YYYY-MM-DDTHH:mm:ssZ", nil), ("02:05 PM", "hh:mm a", nil),
        ]
        for (text, picture, zone) in bad {
            let failure = cleanFailure("$parseDateTime($a, $b, $c)", .string(text), .string(picture), zone.map(Value.string))
            #expect(failure?.code == "clean.date", "\(text) / \(picture) / \(zone ?? "-"): \(String(describing: failure))")
        }
    }
}
