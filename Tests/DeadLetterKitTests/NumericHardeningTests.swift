import DeadLetterKit
import Foundation
import Testing

/// Issue 13, points 5–7: numbers and times from records, summaries and flags never crash a run. Expected
/// values are worked out by hand or with Python's datetime (noted at each); every time the tool reads must
/// lie in 0000-01-01T00:00:00Z ... 9999-12-31T23:59:59.999Z, what RFC 3339 carries.
@Suite struct CalendarTests {
    // Python: (date(y, m, d) - date(1970, 1, 1)).days; the year 0 (a leap year) is 366 days before 0001-01-01.
    @Test(arguments: [
        (1970, 1, 1, Int64(0)), (2024, 3, 5, 19787), (2000, 2, 29, 11016), (1969, 12, 31, -1), (1900, 3, 1, -25508),
        (1, 1, 1, -719_162), (0, 1, 1, -719_528), (9999, 12, 31, 2_932_896), (2401, 10, 19, 157_711),
    ])
    func daysFromCivil(year: Int, month: Int, day: Int, expected: Int64) {
        #expect(UTCTime.days(year: year, month: month, day: day) == expected)
    }

    @Test func impossibleDatesHaveNoDays() {
        for (y, m, d) in [(2024, 2, 30), (2023, 2, 29), (1900, 2, 29), (2024, 4, 31), (2024, 13, 1), (2024, 0, 1), (2024, 1, 0), (2024, 1, 32)] {
            #expect(UTCTime.days(year: y, month: m, day: d) == nil, "\(y)-\(m)-\(d)")
        }
        #expect(UTCTime.days(year: 2000, month: 2, day: 29) != nil)
        #expect(UTCTime.daysIn(month: 2, year: 2000) == 29)
        #expect(UTCTime.daysIn(month: 2, year: 2100) == 28)
        // Far years are refused, not overflowed.
        #expect(UTCTime.days(year: Int.max, month: 1, day: 1) == nil)
        #expect(UTCTime.days(year: Int.min, month: 1, day: 1) == nil)
    }

    @Test func millisCoverExactlyTheSupportedRange() {
        // Python: (datetime(2024,3,5,14,0,1,123000,tzinfo=timezone.utc) - epoch) // timedelta(milliseconds=1).
        #expect(UTCTime.millis(year: 2024, month: 3, day: 5, hour: 14, minute: 0, second: 1, millisecond: 123) == 1_709_647_201_123)
        #expect(UTCTime.millis(year: 0, month: 1, day: 1) == -62_167_219_200_000)
        #expect(UTCTime.millis(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, millisecond: 999) == 253_402_300_799_999)
        #expect(UTCTime.supported == -62_167_219_200_000...253_402_300_799_999)
        #expect(UTCTime.millis(year: 10000, month: 1, day: 1) == nil)
        #expect(UTCTime.millis(year: -1, month: 12, day: 31) == nil)
        #expect(UTCTime.millis(year: 999_999_999, month: 12, day: 31) == nil)
        #expect(UTCTime.millis(year: 2024, month: 3, day: 5, hour: 24) == nil)
        #expect(UTCTime.millis(year: 2024, month: 2, day: 30) == nil)
        // A leap second at the very end of the range would be the year 10000.
        #expect(UTCTime.millis(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 60) == nil)
    }

    @Test func theEdgesOfTheRangeRoundTrip() {
        #expect(UTCTime.rfc3339(UTCTime.earliest) == "0000-01-01T00:00:00.000Z")
        #expect(UTCTime.rfc3339(UTCTime.latest) == "9999-12-31T23:59:59.999Z")
        for ms in [UTCTime.earliest, UTCTime.earliest + 1, -1, 0, 1_709_647_201_123, UTCTime.latest - 1, UTCTime.latest] {
            #expect(UTCTime.parseRFC3339(UTCTime.rfc3339(ms)) == ms)
        }
        #expect(UTCTime.parseRFC3339(UTCTime.rfc3339(UTCTime.latest + 1)) == nil)
        #expect(UTCTime.parseRFC3339(UTCTime.rfc3339(UTCTime.earliest - 1)) == nil)
        // Formatting stays total.
        #expect(UTCTime.rfc3339(Int64.max) == "292278994-08-17T07:12:55.807Z")
        #expect(UTCTime.rfc3339(Int64.min) == "-292275055-05-16T16:47:04.192Z")
    }
}

@Suite struct RFC3339ProblemTests {
    @Test(arguments: [
        ("2024-02-30", TimeProblem.noSuchDay(year: 2024, month: 2, day: 30), "no such day (February 2024 has 29 days)"),
        ("2023-02-29T00:00:00Z", .noSuchDay(year: 2023, month: 2, day: 29), "no such day (February 2023 has 28 days)"),
        ("2024-04-31", .noSuchDay(year: 2024, month: 4, day: 31), "no such day (April 2024 has 30 days)"),
        ("2024-13-01", .noSuchMonth(13), "no such month (months run from 01 to 12)"),
        ("2024-03-05T24:00:00Z", .noSuchTimeOfDay(hour: 24, minute: 0, second: 0), "no such time of day (hours run to 23, minutes to 59, seconds to 60)"),
        ("2024-03-05T00:00:00+99:99", .noSuchOffset, "no such offset (offsets run from -23:59 to +23:59)"),
        ("2024-03-05T00:00:00-24:00", .noSuchOffset, "no such offset (offsets run from -23:59 to +23:59)"),
        ("2024-03-05T00:00:00+23:60", .noSuchOffset, "no such offset (offsets run from -23:59 to +23:59)"),
        ("999999999-12-31T23:59:59Z", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("-999999999-01-01", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("-292275055-05-16T16:47:04.193Z", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("0000-01-01T00:30:00+01:00", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("2024-03-05T14:00", .notATime, "not an RFC 3339 time"),
        ("1234567890-01-01", .notATime, "not an RFC 3339 time"),
    ])
    func problemsAreNamed(text: String, problem: TimeProblem, message: String) {
        #expect(throws: problem) { try UTCTime.parse(rfc3339: text) }
        #expect(problem.description == message)
        #expect(UTCTime.parseRFC3339(text) == nil)
    }

    @Test func offsetsUpToADayAreRead() throws {
        // 2024-03-05 00:00 local at +23:59 is 2024-03-04 00:01 UTC: 1709596800000 - 1439 * 60000.
        #expect(try UTCTime.parse(rfc3339: "2024-03-05T00:00:00+23:59") == 1_709_510_460_000)
        #expect(try UTCTime.parse(rfc3339: "2024-03-05T00:00:00-23:59") == 1_709_683_140_000)
        // A local time in the year 10000 whose offset brings it back to 9999-12-31T23:30Z (Python).
        #expect(try UTCTime.parse(rfc3339: "10000-01-01T00:30:00+01:00") == 253_402_299_000_000)
        #expect(try UTCTime.parse(rfc3339: "2024-02-29") == 1_709_164_800_000)
    }
}
