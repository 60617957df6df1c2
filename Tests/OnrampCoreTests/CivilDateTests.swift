import OnrampCore
import Testing

/// Day counts and civil dates agree both ways from 4713 BC to 294276 AD, on the known anchors.
@Suite struct CivilDateTests {
    @Test func daysAndDatesAgree() {
        #expect(CivilDate.days(1970, 1, 1) == 0 && CivilDate.days(2000, 1, 1) == 10957)
        #expect(CivilDate.days(1899, 12, 30) == -25569 && CivilDate.civil(days: -25569) == (1899, 12, 30))
        #expect(CivilDate.civil(days: CivilDate.days(2024, 2, 29)) == (2024, 2, 29))
        for days in stride(from: -2_440_588, through: 106_751_991, by: 9_973) {
            let (y, m, d) = CivilDate.civil(days: days)
            #expect(CivilDate.days(y, m, d) == days && (1...12).contains(m) && (1...31).contains(d), "\(days)")
        }
    }
}
