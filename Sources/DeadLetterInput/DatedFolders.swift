import DeadLetterBytes

/// `--since`/`--until` as epoch milliseconds (since inclusive, until exclusive), for pruning dated folders.
public struct TimeWindow: Sendable, Equatable {
    public var since: Int64?
    public var until: Int64?

    public init(since: Int64?, until: Int64?) {
        self.since = since
        self.until = until
    }

    /// Firehose names an object's folder after the arrival hour of the **oldest** record in it (formats.md,
    /// "Prefix rules"), and one object gathers at most one buffering interval (≤ 15 minutes) of records; the
    /// prefix may also be written in another time zone than UTC (UTC-12 to UTC+14). So a folder is left out
    /// only when it starts 15 hours or more after `until`, or ends 16 hours or more before `since`: the slack
    /// keeps every record the filter would select, whatever the zone.
    static let zoneSlack: Int64 = 15 * 3_600_000
    static let slack: Int64 = 16 * 3_600_000

    public func overlaps(start: Int64, end: Int64) -> Bool {
        if let until, start >= until + Self.zoneSlack { return false }
        if let since, end + Self.slack <= since { return false }
        return true
    }
}

/// Firehose's dated folders, `YYYY/MM/DD/HH/` below each prefix: which names are one, and the time one covers.
public enum DatedFolder {
    /// `dated` extended by `name` when `name` is the next level of `YYYY/MM/DD/HH` (a valid year, month,
    /// day of that month, or hour); nil otherwise.
    public static func level(_ name: String, after dated: [Int]) -> [Int]? {
        let width = dated.isEmpty ? 4 : 2
        guard name.utf8.count == width, name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(name) else { return nil }
        switch dated.count {
        case 0: guard (1970...2999).contains(value) else { return nil }
        case 1: guard (1...12).contains(value) else { return nil }
        case 2: guard value >= 1, value <= UTCTime.daysIn(month: dated[1], year: dated[0]) else { return nil }
        case 3: guard (0...23).contains(value) else { return nil }
        default: return nil
        }
        return dated + [value]
    }

    /// The time a dated folder covers, [start, end) in epoch milliseconds.
    public static func span(_ dated: [Int]) -> (Int64, Int64) {
        let year = dated[0], month = dated.count > 1 ? dated[1] : 1, day = dated.count > 2 ? dated[2] : 1
        let hour = dated.count > 3 ? dated[3] : 0
        let start = UTCTime.millis(year: year, month: month, day: day, hour: hour) ?? 0
        let end: Int64
        switch dated.count {
        case 1: end = UTCTime.millis(year: year + 1, month: 1, day: 1) ?? start
        case 2: end = month == 12 ? (UTCTime.millis(year: year + 1, month: 1, day: 1) ?? start)
                                  : (UTCTime.millis(year: year, month: month + 1, day: 1) ?? start)
        case 3: end = start + 86_400_000
        default: end = start + 3_600_000
        }
        return (start, end)
    }

    /// The year, month, day, hour a path's last folders are (`errors/2024/03` gives [2024, 3]); empty when
    /// its last folders are not a dated path from the year down.
    public static func suffix(_ names: [String]) -> [Int] {
        for count in stride(from: min(4, names.count), through: 1, by: -1) {
            var dated: [Int] = []
            for name in names.suffix(count) {
                guard let next = level(name, after: dated) else { break }
                dated = next
            }
            if dated.count == count { return dated }
        }
        return []
    }
}
