/// Calendar arithmetic for UTC timestamps, done by hand so any Int64 millisecond value formats without
/// Foundation and without overflow (AWS's own Splunk example is dated in the year 2401).
public enum UTCTime {
    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func millis(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) -> Int64 {
        let d = days(year: year, month: month, day: day)
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
    static func appendRFC3339(_ millis: Int64, to out: inout [UInt8]) {
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

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (or with `+HH:MM`, or a bare date) as written by `rfc3339`; the year
    /// may carry a sign and more than four digits, as `rfc3339` writes far-off times.
    public static func parseRFC3339(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in i..<(i + count) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        var sign = 1
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            if b[i] == UInt8(ascii: "-") { sign = -1 }
            i += 1
        }
        var yearLength = 0
        while i + yearLength < b.count, b[i + yearLength] >= 0x30, b[i + yearLength] <= 0x39 { yearLength += 1 }
        guard (4...9).contains(yearLength), let year = digits(yearLength), expect(0x2D), let mo = digits(2), expect(0x2D),
              let d = digits(2), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        if i == b.count { return millis(year: sign * year, month: mo, day: d) }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let h = digits(2), expect(0x3A), let mi = digits(2), expect(0x3A), let sec = digits(2), h < 24, mi < 60, sec < 61 else { return nil }
        var ms = 0
        if expect(UInt8(ascii: ".")) {
            var scale = 100
            let first = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                ms += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == first { return nil }
        }
        var offset = 0
        if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let east = b[i] == UInt8(ascii: "+")
            i += 1
            guard let oh = digits(2), expect(0x3A), let om = digits(2) else { return nil }
            offset = (oh * 60 + om) * (east ? 1 : -1)
        }
        guard i == b.count else { return nil }
        return millis(year: sign * year, month: mo, day: d, hour: h, minute: mi, second: sec, millisecond: ms) - Int64(offset) * 60_000
    }
}
