/// Calendar arithmetic for UTC timestamps, done by hand without Foundation (AWS's own Splunk example is
/// dated in the year 2401).
///
/// The times the tool reads and writes are those RFC 3339 can carry: years 0000 through 9999 (`supported`).
/// Within it every time is written with a four-digit year and parses back to the same millisecond; a time
/// outside it in a record is reported and read as missing, and one in a flag or a summary is refused. Numbers
/// from records can be anything an Int64 holds, so nothing here traps: formatting is total over Int64, and
/// parsing checks ranges before it multiplies.
public enum UTCTime {
    /// 0000-01-01T00:00:00.000Z in epoch milliseconds.
    public static let earliest: Int64 = -62_167_219_200_000
    /// 9999-12-31T23:59:59.999Z in epoch milliseconds.
    public static let latest: Int64 = 253_402_300_799_999
    public static let supported: ClosedRange<Int64> = earliest...latest
    /// The supported range as messages name it.
    public static let supportedRange = "0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"

    /// The widest year `days` computes (`parseRFC3339` reads up to nine digits): the sums below stay far from
    /// overflow there.
    static let widestYear = 999_999_999

    /// Days in `month` of `year` in the proleptic Gregorian calendar; 0 for a month that does not exist.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        default: return 0
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's `days_from_civil`); nil for a date
    /// that does not exist (2024-02-30, month 13) or a year beyond ±999,999,999.
    public static func days(year: Int, month: Int, day: Int) -> Int64? {
        guard (-widestYear...widestYear).contains(year), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Epoch milliseconds; nil for a date or time of day that does not exist, or a time outside `supported`.
    /// A second of 60 (a leap second) is read as the first second of the next minute.
    public static func millis(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) -> Int64? {
        guard (0...9999).contains(year),
              let value = localMillis(year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millisecond),
              supported.contains(value) else { return nil }
        return value
    }

    /// `millis` without the range check, for years -1...10000 (a local time whose offset brings it back into
    /// range): products there are at most about 3.2e14, so nothing can overflow.
    private static func localMillis(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) -> Int64? {
        guard (-1...10_000).contains(year), (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second),
              (0..<1000).contains(millisecond), let d = days(year: year, month: month, day: day) else { return nil }
        return ((d * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }

    public struct Civil: Equatable, Sendable {
        public var year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int
    }

    public static func civil(_ millis: Int64) -> Civil {
        let msPerDay: Int64 = 86_400_000
        var days = millis / msPerDay
        var rest = millis % msPerDay
        if rest < 0 { rest += msPerDay; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Civil(year: year, month: month, day: day,
                     hour: Int(rest / 3_600_000), minute: Int(rest / 60_000 % 60),
                     second: Int(rest / 1000 % 60), millisecond: Int(rest % 1000))
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padded = digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
        return value < 0 ? "-" + padded : padded
    }

    /// RFC 3339 UTC with milliseconds: `2024-03-05T14:00:01.123Z`.
    public static func rfc3339(_ millis: Int64) -> String {
        let c = civil(millis)
        if (0...9999).contains(c.year) {
            return String(unsafeUninitializedCapacity: 24) { write(c, into: $0) }
        }
        return "\(pad(c.year, 4))-\(pad(Int64(c.month), 2))-\(pad(Int64(c.day), 2))T\(pad(Int64(c.hour), 2)):\(pad(Int64(c.minute), 2)):\(pad(Int64(c.second), 2)).\(pad(Int64(c.millisecond), 3))Z"
    }

    /// Appends what `rfc3339` returns, without making a String: `records` writes two times per record.
    package static func appendRFC3339(_ millis: Int64, to out: inout [UInt8]) {
        let c = civil(millis)
        guard (0...9999).contains(c.year) else {
            out.append(contentsOf: rfc3339(millis).utf8)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<write(c, into: buffer)]))
        }
    }

    /// The common case (a four-digit year), written digit by digit into `out` (24 bytes); returns 24.
    private static func write(_ c: Civil, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        func put(_ value: Int, _ width: Int, at start: Int) {
            var v = value
            for k in stride(from: start + width - 1, through: start, by: -1) {
                out[k] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
            }
        }
        put(Int(c.year), 4, at: 0)
        out[4] = UInt8(ascii: "-")
        put(c.month, 2, at: 5)
        out[7] = UInt8(ascii: "-")
        put(c.day, 2, at: 8)
        out[10] = UInt8(ascii: "T")
        put(c.hour, 2, at: 11)
        out[13] = UInt8(ascii: ":")
        put(c.minute, 2, at: 14)
        out[16] = UInt8(ascii: ":")
        put(c.second, 2, at: 17)
        out[19] = UInt8(ascii: ".")
        put(c.millisecond, 3, at: 20)
        out[23] = UInt8(ascii: "Z")
        return 24
    }

    /// The arrival hour key: `2024-03-05T14`.
    public static func hour(_ millis: Int64) -> String {
        let c = civil(millis)
        return "\(pad(c.year, 4))-\(pad(Int64(c.month), 2))-\(pad(Int64(c.day), 2))T\(pad(Int64(c.hour), 2))"
    }

    /// `14:02`: the time of day, for rows whose day is said elsewhere.
    public static func clock(_ millis: Int64) -> String {
        let c = civil(millis)
        return "\(pad(Int64(c.hour), 2)):\(pad(Int64(c.minute), 2))"
    }

    /// `2024-03-05 14:00`, or `03-05 14:00` without the year: for tables.
    public static func minute(_ millis: Int64, withYear: Bool) -> String {
        let c = civil(millis)
        let monthDay = "\(pad(Int64(c.month), 2))-\(pad(Int64(c.day), 2)) \(pad(Int64(c.hour), 2)):\(pad(Int64(c.minute), 2))"
        return withYear ? "\(pad(c.year, 4))-" + monthDay : monthDay
    }

    /// The arrival day key: `2024-03-05`.
    public static func day(_ millis: Int64) -> String {
        let c = civil(millis)
        return "\(pad(c.year, 4))-\(pad(Int64(c.month), 2))-\(pad(Int64(c.day), 2))"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (or with `+HH:MM`, or a bare date) as written by `rfc3339`; nil for
    /// anything `parse(rfc3339:)` refuses.
    public static func parseRFC3339(_ text: String) -> Int64? {
        try? parse(rfc3339: text)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z`, with `+HH:MM`/`-HH:MM` instead of `Z`, or a bare date (UTC
    /// midnight), and says what is wrong with anything else. The year may carry a sign and up to nine digits,
    /// so that a far-off time is refused as out of range rather than as not a time.
    public static func parse(rfc3339 text: String) throws(TimeProblem) -> Int64 {
        var b = TimeText(text)
        let sign = b.sign() ?? 1
        guard let yearDigits = b.digitRun(), (4...9).contains(yearDigits.count), b.expect("-"),
              let month = b.digits(2), b.expect("-"), let day = b.digits(2) else { throw .notATime }
        let year = sign * yearDigits.value
        var hour = 0, minute = 0, second = 0, millisecond = 0, offsetMinutes = 0
        if !b.atEnd {
            guard b.expect("T") || b.expect("t") || b.expect(" "), let h = b.digits(2), b.expect(":"), let mi = b.digits(2),
                  b.expect(":"), let sec = b.digits(2) else { throw .notATime }
            (hour, minute, second) = (h, mi, sec)
            if b.expect(".") {
                // Digits past milliseconds are dropped, as `rfc3339` never writes them.
                guard let fraction = b.digitRun() else { throw .notATime }
                millisecond = fraction.milliseconds
            }
            if b.expect("Z") || b.expect("z") {
            } else if let east = b.sign() {
                guard let oh = b.digits(2), b.expect(":"), let om = b.digits(2) else { throw .notATime }
                guard oh < 24, om < 60 else { throw .noSuchOffset }
                offsetMinutes = east * (oh * 60 + om)
            }
            guard b.atEnd else { throw .notATime }
        }
        guard (1...12).contains(month) else { throw .noSuchMonth(month) }
        guard day >= 1, day <= daysIn(month: month, year: year) else { throw .noSuchDay(year: year, month: month, day: day) }
        guard hour < 24, minute < 60, second <= 60 else { throw .noSuchTimeOfDay(hour: hour, minute: minute, second: second) }
        // One year either side: an offset may bring a local 10000-01-01T00:30+01:00 back into range.
        guard let local = localMillis(year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millisecond)
        else { throw .outOfRange }
        let value = local - Int64(offsetMinutes) * 60_000
        guard supported.contains(value) else { throw .outOfRange }
        return value
    }
}

/// Why a text is not a supported time.
public enum TimeProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case notATime
    case noSuchMonth(Int)
    case noSuchDay(year: Int, month: Int, day: Int)
    case noSuchTimeOfDay(hour: Int, minute: Int, second: Int)
    case noSuchOffset
    case outOfRange

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]

    public var description: String {
        switch self {
        case .notATime:
            return "not an RFC 3339 time"
        case .noSuchMonth:
            return "no such month (months run from 01 to 12)"
        case .noSuchDay(let year, let month, _):
            guard (1...12).contains(month) else { return "no such month (months run from 01 to 12)" }
            return "no such day (\(Self.monthNames[month - 1]) \(year) has \(UTCTime.daysIn(month: month, year: year)) days)"
        case .noSuchTimeOfDay:
            return "no such time of day (hours run to 23, minutes to 59, seconds to 60)"
        case .noSuchOffset:
            return "no such offset (offsets run from -23:59 to +23:59)"
        case .outOfRange:
            return "outside the supported range (\(UTCTime.supportedRange))"
        }
    }
}

/// A cursor over the bytes of a time being parsed.
private struct TimeText {
    private let bytes: [UInt8]
    private var i = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { i == bytes.count }

    mutating func expect(_ c: Unicode.Scalar) -> Bool {
        guard i < bytes.count, bytes[i] == UInt8(ascii: c) else { return false }
        i += 1
        return true
    }

    /// 1 for `+`, -1 for `-`, nil (and nothing read) otherwise.
    mutating func sign() -> Int? {
        if expect("+") { return 1 }
        if expect("-") { return -1 }
        return nil
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Exactly `count` digits.
    mutating func digits(_ count: Int) -> Int? {
        guard i + count <= bytes.count, bytes[i..<(i + count)].allSatisfy(Self.isDigit) else { return nil }
        defer { i += count }
        return bytes[i..<(i + count)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// One or more digits: how many, their value (only read for up to nine, where it cannot overflow), and
    /// the first three as milliseconds of a fraction.
    mutating func digitRun() -> (count: Int, value: Int, milliseconds: Int)? {
        let start = i
        while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
        let run = bytes[start..<i]
        guard !run.isEmpty else { return nil }
        let value = run.count <= 9 ? run.reduce(0) { $0 * 10 + Int($1 - 0x30) } : 0
        let milliseconds = (run.prefix(3) + [0x30, 0x30]).prefix(3).reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return (run.count, value, milliseconds)
    }
}
