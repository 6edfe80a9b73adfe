import DeadLetterBytes

/// A summary grouped by time alone, laid out along time: every bucket from the first to the last, the empty
/// ones included, so that gaps show. Long runs of empty buckets are one row each, so a span of years stays a
/// page. The table's time view draws this; a report's chart can draw the same buckets.
public struct Timeline: Sendable, Equatable {
    public enum Unit: Sendable, Equatable {
        case minute, hour, day

        public var millis: Int64 {
            switch self {
            case .minute: return 60_000
            case .hour: return 3_600_000
            case .day: return 86_400_000
            }
        }
        public var name: String {
            switch self {
            case .minute: return "minute"
            case .hour: return "hour"
            case .day: return "day"
            }
        }

        /// The start of the bucket `millis` falls in (UTC; floor for times before 1970 too).
        public func start(of millis: Int64) -> Int64 {
            let size = self.millis
            let r = millis % size
            return r < 0 ? millis - r - size : millis - r
        }
    }

    /// Where buckets go along time: one slot per bucket from the first to the last, except that a run of
    /// more than `longestShownGap` empty buckets is one `gap` slot. `starts` must be bucket starts of `unit`,
    /// ascending; each slot's `index` names the start it shows (nil: empty).
    public enum Slot: Sendable, Equatable {
        case bucket(start: Int64, index: Int?)
        case gap(start: Int64, buckets: Int)
    }

    public static func slots(_ starts: [Int64], unit: Unit, longestShownGap: Int = 3) -> [Slot] {
        var slots: [Slot] = []
        var previous: Int64?
        for (index, start) in starts.enumerated() {
            if let previous {
                let empty = Int((start - previous) / unit.millis) - 1
                if empty > longestShownGap {
                    slots.append(.gap(start: previous + unit.millis, buckets: empty))
                } else if empty > 0 {
                    for i in 1...empty { slots.append(.bucket(start: previous + Int64(i) * unit.millis, index: nil)) }
                }
            }
            slots.append(.bucket(start: start, index: index))
            previous = start
        }
        return slots
    }

    public enum Row: Sendable, Equatable {
        /// A bucket starting at `start` (milliseconds since the epoch, UTC) with its group; nil when empty.
        case bucket(start: Int64, group: SummaryGroup?)
        /// `buckets` empty buckets in a row, the first starting at `start`.
        case gap(start: Int64, buckets: Int)
    }

    public var unit: Unit
    public var rows: [Row]
    /// Records without an arrival time (key `(none)`), which have no place on the line.
    public var undated: SummaryGroup?

    /// The timeline of `summary` when it is grouped by `hour` or `day` alone and nothing was folded by `--top`;
    /// runs of more than `longestShownGap` empty buckets become one `gap` row.
    public init?(_ summary: Summary, longestShownGap: Int = 3) {
        guard summary.groupBy == [.hour] || summary.groupBy == [.day], summary.exactlyMergeable else { return nil }
        unit = summary.groupBy == [.hour] ? .hour : .day
        undated = nil
        var dated: [(start: Int64, group: SummaryGroup)] = []
        for group in summary.groups {
            if let start = Self.start(of: group.key[0], unit: unit) {
                dated.append((start, group))
            } else if group.key[0] != RecordField.none {
                // Not a time this view can place (a merged summary's oddity): the rows say it as it is.
                return nil
            } else if let held = undated {
                var merged = held
                merged.absorb(group)
                undated = merged
            } else {
                undated = group
            }
        }
        dated.sort { $0.start < $1.start }
        rows = Self.slots(dated.map(\.start), unit: unit, longestShownGap: longestShownGap).map { slot in
            switch slot {
            case .bucket(let start, let index): return .bucket(start: start, group: index.map { dated[$0].group })
            case .gap(let start, let buckets): return .gap(start: start, buckets: buckets)
            }
        }
    }

    /// The bucket start of a key written by `UTCTime.hour` (`2024-03-05T14`) or `UTCTime.day` (`2024-03-05`).
    static func start(of key: String, unit: Unit) -> Int64? {
        let parts = key.split(separator: "T", omittingEmptySubsequences: false)
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        guard date.count == 3, parts[0].count == 10 else { return nil }
        var hour = 0
        if unit == .hour {
            guard parts.count == 2, parts[1].count == 2, let h = Int(parts[1]) else { return nil }
            hour = h
        } else if parts.count != 1 {
            return nil
        }
        return UTCTime.millis(year: date[0], month: date[1], day: date[2], hour: hour)
    }

    /// The largest count of one bucket: what a bar's full length stands for.
    public var largestCount: Int {
        rows.reduce(0) { most, row in
            if case .bucket(_, let group?) = row { return max(most, group.count) }
            return most
        }
    }
}
