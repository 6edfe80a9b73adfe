import DeadLetterInput
import DeadLetterRecords
/// Totals over everything read (schema `deadletter.summary/1`, plus additive fields).
public struct SummaryTotals: Sendable, Equatable {
    public var files = 0
    public var bytesRead: Int64 = 0
    public var records = 0
    public var malformed = 0
    public var payloadBytes: Int64 = 0
    public var undecodable = 0
    public var logEvents = 0
    public var firstArrival: Int64?
    public var lastArrival: Int64?
    // Additive fields.
    public var lines = 0
    public var blankLines = 0
    public var controlMessages = 0
    public var payloadProblems = 0
    /// How many of `payloadProblems` are numbers or times out of range (read as missing); the rest are
    /// damaged gzip payloads. Written to JSON only when there are any.
    public var valuesOutOfRange = 0
    /// How many of `payloadProblems` are values in numeric fields that are no numbers (documentation
    /// placeholders such as `"attemptsMade": "count"`), kept in the records' `otherFields`. Written to JSON
    /// only when there are any.
    public var valuesNotNumbers = 0
    public var inputErrors = 0
    /// SQS messages read again (same MessageId), counted once.
    public var repeats = 0
    /// Records read from SQS messages (EventBridge DLQ).
    public var sqsMessages = 0
    /// Lines whose JSON object was followed by junk (`{…},`, `{…} x`): the line counts as the object's.
    public var trailingJunk = 0
    /// SQS messages whose MessageId was read before with a different body: kept as records of their own.
    public var messageIdConflicts = 0

    public init() {}

    /// Adds another run's totals: counts add up, the arrival range widens.
    public mutating func add(_ t: SummaryTotals) {
        files += t.files
        bytesRead += t.bytesRead
        records += t.records
        malformed += t.malformed
        payloadBytes += t.payloadBytes
        undecodable += t.undecodable
        logEvents += t.logEvents
        lines += t.lines
        blankLines += t.blankLines
        controlMessages += t.controlMessages
        payloadProblems += t.payloadProblems
        valuesOutOfRange += t.valuesOutOfRange
        valuesNotNumbers += t.valuesNotNumbers
        inputErrors += t.inputErrors
        repeats += t.repeats
        sqsMessages += t.sqsMessages
        trailingJunk += t.trailingJunk
        messageIdConflicts += t.messageIdConflicts
        if let a = t.firstArrival { firstArrival = Swift.min(firstArrival ?? a, a) }
        if let a = t.lastArrival { lastArrival = Swift.max(lastArrival ?? a, a) }
    }
}

/// Minimum and maximum of a value seen in a group.
public struct Range64: Sendable, Equatable {
    public var min: Int64
    public var max: Int64

    public mutating func include(_ value: Int64) {
        if value < min { min = value }
        if value > max { max = value }
    }

    static func merge(_ a: Range64?, _ b: Range64?) -> Range64? {
        guard let a else { return b }
        guard let b else { return a }
        return Range64(min: Swift.min(a.min, b.min), max: Swift.max(a.max, b.max))
    }
}

/// One group of records sharing the values of the `groupBy` fields.
public struct SummaryGroup: Sendable, Equatable {
    public var key: [String]
    public var count = 0
    public var payloadBytes: Int64 = 0
    public var logEvents = 0
    public var arrival: Range64?
    public var attempts: Range64?

    public init(key: [String]) { self.key = key }

    public mutating func add(_ stats: RecordStats) {
        count += 1
        payloadBytes += stats.payloadBytes
        logEvents += stats.events
        if let arrival = stats.arrival {
            if arrival < (self.arrival?.min ?? .max) || arrival > (self.arrival?.max ?? .min) {
                self.arrival = Range64(min: Swift.min(self.arrival?.min ?? arrival, arrival), max: Swift.max(self.arrival?.max ?? arrival, arrival))
            }
        }
        if let attempts = stats.attempts {
            if attempts < (self.attempts?.min ?? .max) || attempts > (self.attempts?.max ?? .min) {
                self.attempts = Range64(min: Swift.min(self.attempts?.min ?? attempts, attempts), max: Swift.max(self.attempts?.max ?? attempts, attempts))
            }
        }
    }

    public mutating func absorb(_ other: SummaryGroup) {
        count += other.count
        payloadBytes += other.payloadBytes
        logEvents += other.logEvents
        arrival = Range64.merge(arrival, other.arrival)
        attempts = Range64.merge(attempts, other.attempts)
    }
}

/// The result of `summarize`: totals, groups sorted by count then key, and samples of malformed input.
public struct Summary: Sendable, Equatable {
    public static let schema = "deadletter.summary/1"
    public static let maxMalformedSamples = 20
    public static let otherKey = "(other)"

    public var groupBy: [RecordField]
    public var totals = SummaryTotals()
    public var groups: [SummaryGroup] = []
    public var malformedSamples: [MalformedLine] = []
    /// Set when `--top` folded groups into `(other)`: such a summary cannot be merged exactly.
    public var top: Int?
    /// Set when merged from summaries whose groups were folded: group counts are lower bounds.
    public var inexact = false
    /// The shard this summary covers (`--shard`); nil for a whole run, and for a merge.
    public var shard: ShardMark?
    /// Set by `merge` when shards of a listing were not among its inputs.
    public var missingShards: [MissingShards] = []

    /// False once any group is `(other)` or the inputs were inexact.
    public var exactlyMergeable: Bool {
        !inexact && !groups.contains { $0.key.allSatisfy { $0 == Summary.otherKey } }
    }

    public init(groupBy: [RecordField]) { self.groupBy = groupBy }

    /// Groups by count (descending), then by key, so output is stable.
    public static func sortGroups(_ groups: inout [SummaryGroup]) {
        groups.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            return a.key.lexicographicallyPrecedes(b.key)
        }
    }

    /// Puts the groups in `order`; `(other)` (what `--top` folded) stays last.
    public mutating func order(by order: SummaryOrder) {
        let other = groups.last.map { $0.key.allSatisfy { $0 == Summary.otherKey } } ?? false
        var kept = other ? Array(groups.dropLast()) : groups
        kept.sort(by: order.precedes)
        groups = kept + (other ? [groups[groups.count - 1]] : [])
    }

    /// Keeps the first `n` groups and folds the rest into one `(other)` group.
    public mutating func keepTop(_ n: Int) {
        top = n
        guard groups.count > n else { return }
        var other = SummaryGroup(key: Array(repeating: Self.otherKey, count: groupBy.count))
        for group in groups[n...] { other.absorb(group) }
        groups.removeSubrange(n...)
        groups.append(other)
    }
}

/// How `summarize` orders its groups (`--sort`). Ties go by key, so output is stable.
public enum SummaryOrder: String, CaseIterable, Sendable {
    /// Largest first.
    case count
    /// By the group's values, field by field (hours and days are written so that this is time order).
    case key
    /// Oldest first arrival first: since when.
    case first
    /// Latest last arrival first: what is still failing.
    case last

    /// Time order when the only key is a time (hour or day), else largest first.
    public static func defaultOrder(for groupBy: [RecordField]) -> SummaryOrder {
        groupBy == [.hour] || groupBy == [.day] ? .key : .count
    }

    func precedes(_ a: SummaryGroup, _ b: SummaryGroup) -> Bool {
        switch self {
        case .count:
            if a.count != b.count { return a.count > b.count }
        case .key:
            break
        case .first:
            let x = a.arrival?.min ?? .max, y = b.arrival?.min ?? .max
            if x != y { return x < y }
        case .last:
            let x = a.arrival?.max ?? .min, y = b.arrival?.max ?? .min
            if x != y { return x > y }
        }
        return a.key.lexicographicallyPrecedes(b.key)
    }
}

/// Shards of one listing that a merge did not have: the merged summary covers only part of it.
public struct MissingShards: Sendable, Equatable, CustomStringConvertible {
    public var listing: String
    public var count: Int
    public var missing: [Int]

    public init(listing: String, count: Int, missing: [Int]) {
        self.listing = listing
        self.count = count
        self.missing = missing
    }

    /// `listing L: 2 of its 8 shards not given (missing: 3, 5)`, at most 12 of them named.
    public var description: String {
        let named = missing.prefix(12).map(String.init).joined(separator: ", ") + (missing.count > 12 ? " and \(missing.count - 12) more" : "")
        return "listing \(listing): \(missing.count) of its \(count) shards not given (missing: \(named))"
    }
}
