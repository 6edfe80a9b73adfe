import DeadLetterBackfill
import DeadLetterQuery
import DeadLetterRecords

/// Counts the report's records. Each reading thread keeps one and they are merged at the end, as
/// `summarize`'s builders are: every count is a sum, every range a union, and samples are the first by file
/// and line, so the result does not depend on which thread read what. The totals are `summarize`'s own
/// builder's; the rest is grouped finely (kind, error code, message fingerprint, stream and time bucket) and
/// the page's tables and chart are sums of those groups, so they add up to the same totals. Groups are by the
/// hour (by the day past `maxFineGroups`, decided on the merged counts so that it does not depend on how the
/// files were shared out); the chart of a short incident is by the minute, from counts by minute and error
/// code kept beside them up to `maxMinuteCounts`. Memory follows the variety of the failures, not their number.
struct ReportBuilder: Sendable {
    struct FineKey: Hashable, Sendable {
        var kind: FailureKind
        var code: String
        /// The message fingerprint, by its number in `messages`.
        var message: Int32
        var stream: String
        /// The bucket start, or nil for records without an arrival time.
        var bucket: Int64?
    }

    /// Records and CloudWatch Logs events of one value of a destination field, with a few examples.
    struct Fact: Sendable {
        var records = 0
        var events = 0
        var examples: [String] = []

        mutating func absorb(_ other: Fact) {
            records += other.records
            events += other.events
            for e in other.examples where examples.count < ReportBuilder.examplesPerFact && !examples.contains(e) { examples.append(e) }
        }
    }

    /// How one backfill target would take the records it is given.
    struct TargetTally: Sendable {
        var kinds: [FailureKind: Int] = [:]
        var sendable = 0
        var rejected: [String: Int] = [:]
        var reasons: [String: String] = [:]
    }

    static let maxFineGroups = 100_000
    /// One reader's groups past this many become days there and then, whatever the merge decides: memory first.
    static let readerFineGroups = 4 * maxFineGroups
    static let maxMinuteCounts = 20_000

    struct MinuteKey: Hashable, Sendable {
        var minute: Int64
        var code: String
    }
    /// Distinct message fingerprints kept by name; later new ones are counted as one (they are rare: a
    /// fingerprint stands for a kind of failure).
    static let maxMessages = 20_000
    static let otherMessages = "(other messages)"
    static let maxFactValues = 5_000
    static let maxSampledMessages = 2_000
    static let samplesPerMessage = 3
    static let examplesPerFact = 5

    /// Totals only (no grouping): the groups come from `fine`.
    var summary = SummaryBuilder(groupBy: [])
    private(set) var fine: [FineKey: SummaryGroup] = [:]
    private(set) var unit = Timeline.Unit.hour
    /// Records by minute and error code, for the chart of a short incident; nil once there were too many.
    private(set) var minutes: [MinuteKey: Int]? = [:]
    /// Message fingerprints, numbered in the order met: groups and samples hold the number, so a long
    /// message is hashed once per record, not once per table.
    private(set) var messages: [String] = []
    private var messageNumbers: [String: Int32] = [:]
    private(set) var samples: [Int32: [ReportSample]] = [:]
    private(set) var indexes: [String: Fact] = [:]
    private(set) var lambdas: [String: Fact] = [:]
    private(set) var logGroups: [String: Fact] = [:]
    /// EventBridge: `rule → target`.
    private(set) var routes: [String: Fact] = [:]
    private(set) var tallies: [BackfillTargetName: TargetTally] = [:]
    private(set) var possiblyDelivered = 0
    /// Files read that gave no record (with the malformed lines counted apart: perhaps agent logs).
    private(set) var emptyFiles: [String] = []
    private var fileRecords = 0

    mutating func add(_ record: FailureRecord, targets catalog: ReportTargets) {
        let contribution = SummaryContribution(record, key: [])
        summary.add(contribution)
        fileRecords += 1
        let kind = record.kind
        let message = record.errorMessage.map { messageNumber($0) } ?? number(RecordField.none)
        let key = FineKey(kind: kind, code: record.errorCode ?? RecordField.none, message: message,
                          stream: record.file.objectKey.stream ?? RecordField.none, bucket: record.arrival.map(unit.start(of:)))
        fine[key, default: SummaryGroup(key: [])].add(contribution.stats)
        if fine.count > Self.readerFineGroups { widen() }
        if minutes != nil, let arrival = record.arrival {
            minutes![MinuteKey(minute: Timeline.Unit.minute.start(of: arrival), code: key.code), default: 0] += 1
            if minutes!.count > Self.maxMinuteCounts { minutes = nil }
        }
        sample(record, message: message)
        if let index = record.indexName { Self.note(index, example: RecordField.documentId.value(of: record), events: 0, in: &indexes) }
        if let lambda = record.lambdaArn { Self.note(lambda, example: nil, events: 0, in: &lambdas) }
        if let group = RecordField.logGroup.value(of: record) { Self.note(group, example: nil, events: contribution.stats.events, in: &logGroups) }
        if record.rule != nil || record.target != nil {
            Self.note((record.rule ?? RecordField.none) + " → " + (record.target ?? RecordField.none), example: nil, events: 0, in: &routes)
        }
        let name = ReportTargets.natural(for: record.kind)
        Self.tally(&tallies[name, default: TargetTally()], kind: kind, rejection: catalog.rejection(name, for: record))
        if record.errorCode == "Splunk.AckTimeout" { possiblyDelivered += 1 }
    }

    private mutating func number(_ message: String) -> Int32 {
        if let known = messageNumbers[message] { return known }
        if messages.count >= Self.maxMessages, message != Self.otherMessages { return number(Self.otherMessages) }
        let new = Int32(messages.count)
        messages.append(message)
        messageNumbers[message] = new
        return new
    }

    /// The same messages come again and again (retries, batches): their fingerprints' numbers are
    /// remembered, up to a bound, rather than worked out and looked up anew.
    private var fingerprints: [String: Int32] = [:]
    static let rememberedFingerprints = 20_000

    private var lookups = 0
    private var hits = 0

    private mutating func messageNumber(_ message: String) -> Int32 {
        // Messages that carry ids are seldom the same twice: past a few thousand with few repeats, the
        // lookups cost more than they save.
        guard lookups < 4_000 || hits * 3 > lookups else { return number(MessageFingerprint.fingerprint(message)) }
        lookups += 1
        if let known = fingerprints[message] {
            hits += 1
            return known
        }
        let made = number(MessageFingerprint.fingerprint(message))
        if fingerprints.count < Self.rememberedFingerprints { fingerprints[message] = made }
        return made
    }

    private static func tally(_ tally: inout TargetTally, kind: FailureKind, rejection: Rejection?) {
        tally.kinds[kind, default: 0] += 1
        if let why = rejection {
            tally.rejected[why.code, default: 0] += 1
            if tally.reasons[why.code] == nil { tally.reasons[why.code] = why.reason }
        } else {
            tally.sendable += 1
        }
    }

    /// Keeps the record as an example of its message when it is among the first three by file and line.
    private mutating func sample(_ record: FailureRecord, message: Int32) {
        guard var kept = samples[message] else {
            if samples.count < Self.maxSampledMessages { samples[message] = [ReportSample(record)] }
            return
        }
        if kept.count == Self.samplesPerMessage {
            // Most records come after the examples kept: settled without making a sample.
            let last = kept[kept.count - 1]
            let path = record.file.path
            if path > last.file || (path == last.file && record.line >= last.line) { return }
        }
        samples[message] = nil
        kept.append(ReportSample(record))
        kept.sort { $0.precedes($1) }
        if kept.count > Self.samplesPerMessage { kept.removeLast() }
        samples[message] = kept
    }

    mutating func finished(_ stats: FileStatistics) {
        summary.addFile(stats)
        if fileRecords == 0 && stats.path != "-" { emptyFiles.append(stats.path) }
        fileRecords = 0
    }

    mutating func merge(_ other: ReportBuilder) {
        summary.merge(other.summary)
        if other.unit == .day { widen() }
        if let theirs = other.minutes, minutes != nil {
            minutes!.merge(theirs, uniquingKeysWith: +)
            if minutes!.count > Self.maxMinuteCounts { minutes = nil }
        } else {
            minutes = nil
        }
        let wider = unit
        let renumbered = other.messages.map { number($0) }
        for (key, group) in other.fine {
            var k = key
            k.bucket = key.bucket.map(wider.start(of:))
            k.message = renumbered[Int(key.message)]
            fine[k, default: SummaryGroup(key: [])].absorb(group)
        }
        for (theirs, list) in other.samples {
            let message = renumbered[Int(theirs)]
            var kept = (samples[message] ?? []) + list
            kept.sort { $0.precedes($1) }
            samples[message] = Array(kept.prefix(Self.samplesPerMessage))
        }
        for (table, otherTable) in [(\ReportBuilder.indexes, other.indexes), (\ReportBuilder.lambdas, other.lambdas),
                                    (\ReportBuilder.logGroups, other.logGroups), (\ReportBuilder.routes, other.routes)] {
            for (value, fact) in otherTable { self[keyPath: table][value, default: Fact()].absorb(fact) }
        }
        for (name, tally) in other.tallies {
            var mine = tallies[name] ?? TargetTally()
            mine.kinds.merge(tally.kinds, uniquingKeysWith: +)
            mine.sendable += tally.sendable
            mine.rejected.merge(tally.rejected, uniquingKeysWith: +)
            mine.reasons.merge(tally.reasons) { a, _ in a }
            tallies[name] = mine
        }
        possiblyDelivered += other.possiblyDelivered
        emptyFiles += other.emptyFiles
    }

    private static func note(_ value: String, example: @autoclosure () -> String?, events: Int, in facts: inout [String: Fact]) {
        // One lookup, the fact changed where it lies; past the bound, new values are counted as one.
        let key = facts.count < maxFactValues || facts[value] != nil ? value : "(other)"
        Self.update(&facts[key, default: Fact()], example: example, events: events)
    }

    private static func update(_ fact: inout Fact, example: () -> String?, events: Int) {
        fact.records += 1
        fact.events += events
        if fact.examples.count < examplesPerFact, let example = example(), !fact.examples.contains(example) { fact.examples.append(example) }
    }

    /// Every group by the day instead of the hour.
    mutating func widen() {
        guard unit != .day else { return }
        let wider = Timeline.Unit.day
        var regrouped: [FineKey: SummaryGroup] = [:]
        regrouped.reserveCapacity(fine.count / 4)
        for (key, group) in fine {
            var k = key
            k.bucket = key.bucket.map(wider.start(of:))
            regrouped[k, default: SummaryGroup(key: [])].absorb(group)
        }
        fine = regrouped
        unit = wider
    }
}
