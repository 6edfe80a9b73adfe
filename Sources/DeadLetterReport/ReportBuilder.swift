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
/// Past the bounds that keep it so (`maxSampledMessages` messages with examples, `maxFactValues` values of a
/// destination field, `maxMessages` fingerprints, codes or streams per reader), which values fall into the
/// "(other …)" rows or lose their examples can depend on how the files were shared out; below them it cannot.
struct ReportBuilder: Sendable {
    /// Names by number: the groups hold numbers, so that a record's group is found by hashing a few
    /// integers rather than its strings again.
    struct Names: Sendable {
        private(set) var names: [String] = []
        private var numbers: [String: Int32] = [:]
        /// Past this many, new names are counted as `other`.
        let limit: Int
        let other: String

        init(limit: Int, other: String) {
            self.limit = limit
            self.other = other
        }

        subscript(number: Int32) -> String { names[Int(number)] }

        func known(_ name: String) -> Int32? { numbers[name] }

        mutating func number(_ name: String) -> Int32 {
            if let known = numbers[name] { return known }
            if names.count >= limit, name != other { return number(other) }
            let new = Int32(names.count)
            names.append(name)
            numbers[name] = new
            return new
        }
    }

    struct FineKey: Hashable, Sendable {
        var kind: FailureKind
        /// The error code, by its number in `codes`.
        var code: Int32
        /// The message fingerprint, by its number in `messages`.
        var message: Int32
        /// The delivery stream, by its number in `streams`.
        var stream: Int32
        /// The bucket start, or nil for records without an arrival time.
        var bucket: Int64?
    }

    /// Records and CloudWatch Logs events of one value of a destination field, with its first few examples
    /// by file and line (distinct values, each where it was first met): the same whichever thread read what.
    struct Fact: Sendable {
        struct Example: Sendable {
            var value: String
            var file: String
            var line: Int

            func precedes(_ other: Example) -> Bool { file != other.file ? file < other.file : line < other.line }
        }

        var records = 0
        var events = 0
        private(set) var examples: [Example] = []

        mutating func consider(_ example: () -> String?, file: String, line: Int) {
            if examples.count == ReportBuilder.examplesPerFact {
                // Most records come after the examples kept: settled before the example is made.
                let last = examples[examples.count - 1]
                if file > last.file || (file == last.file && line >= last.line) { return }
            }
            guard let value = example() else { return }
            keep([Example(value: value, file: file, line: line)])
        }

        mutating func absorb(_ other: Fact) {
            records += other.records
            events += other.events
            keep(other.examples)
        }

        private mutating func keep(_ more: [Example]) {
            var all = examples + more
            all.sort { $0.precedes($1) }
            var seen = Set<String>()
            examples.removeAll(keepingCapacity: true)
            for example in all where examples.count < ReportBuilder.examplesPerFact && seen.insert(example.value).inserted {
                examples.append(example)
            }
        }
    }

    /// How the backfill target of one kind would take its records.
    struct KindTally: Sendable {
        var records = 0
        var sendable = 0
        var rejected: [String: Int] = [:]
        /// Records by reason, for each code: the page says the most frequent.
        var reasons: [String: [String: Int]] = [:]

        mutating func absorb(_ other: KindTally) {
            records += other.records
            sendable += other.sendable
            rejected.merge(other.rejected, uniquingKeysWith: +)
            reasons.merge(other.reasons) { $0.merging($1, uniquingKeysWith: +) }
        }
    }

    /// How one backfill target would take the records it is given.
    struct TargetTally: Sendable {
        var kinds: [FailureKind: Int] = [:]
        var tally = KindTally()
    }

    static let maxFineGroups = 100_000
    /// One reader's groups past this many become days there and then, whatever the merge decides: memory first.
    static let readerFineGroups = 4 * maxFineGroups
    static let maxMinuteCounts = 20_000

    struct MinuteKey: Hashable, Sendable {
        var minute: Int64
        /// By its number in `codes`.
        var code: Int32
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
    private(set) var messages = Names(limit: maxMessages, other: otherMessages)
    /// Error codes and delivery streams: few, but held by number for the same reason.
    private(set) var codes = Names(limit: maxMessages, other: "(other codes)")
    private(set) var streams = Names(limit: maxMessages, other: "(other streams)")
    /// The last record's code and file, with their numbers: neighbours mostly share both.
    private var lastCode: (String, Int32)?
    private var lastFile: (SourceFile, Int32)?
    private(set) var samples: [Int32: [ReportSample]] = [:]
    private(set) var indexes: [String: Fact] = [:]
    private(set) var lambdas: [String: Fact] = [:]
    private(set) var logGroups: [String: Fact] = [:]
    /// EventBridge: `rule → target`.
    private(set) var routes: [String: Fact] = [:]
    /// By kind (its ordinal): an array, not a dictionary, as it is updated for every record.
    private var kindTallies = [KindTally](repeating: KindTally(), count: FailureKind.allCases.count)
    private(set) var possiblyDelivered = 0
    /// Files read that gave no record (with the malformed lines counted apart: perhaps agent logs).
    private(set) var emptyFiles: [String] = []
    private var fileRecords = 0

    mutating func add(_ record: FailureRecord, targets catalog: ReportTargets) {
        let contribution = SummaryContribution(record, key: [])
        summary.add(contribution)
        fileRecords += 1
        let kind = record.kind
        let message = record.errorMessage.map { messageNumber($0, kind: kind) } ?? messages.number(RecordField.none)
        let key = FineKey(kind: kind, code: codeNumber(record.errorCode ?? RecordField.none), message: message,
                          stream: streamNumber(record.file), bucket: record.arrival.map(unit.start(of:)))
        fine[key, default: SummaryGroup(key: [])].add(contribution.stats)
        if fine.count > Self.readerFineGroups { widen() }
        if minutes != nil, let arrival = record.arrival {
            minutes![MinuteKey(minute: Timeline.Unit.minute.start(of: arrival), code: key.code), default: 0] += 1
            if minutes!.count > Self.maxMinuteCounts { minutes = nil }
        }
        sample(record, message: message)
        if let index = record.indexName { Self.note(index, record, example: { RecordField.documentId.value(of: record) }, in: &indexes) }
        if let lambda = record.lambdaArn { Self.note(lambda, record, in: &lambdas) }
        if let group = RecordField.logGroup.value(of: record) { Self.note(group, record, events: contribution.stats.events, in: &logGroups) }
        if record.rule != nil || record.target != nil {
            Self.note((record.rule ?? RecordField.none) + " → " + (record.target ?? RecordField.none), record, in: &routes)
        }
        Self.tally(&kindTallies[kind.ordinal], rejection: catalog.rejection(for: record))
        if record.errorCode == "Splunk.AckTimeout" { possiblyDelivered += 1 }
    }

    private mutating func codeNumber(_ code: String) -> Int32 {
        if let (last, number) = lastCode, last == code { return number }
        let number = codes.number(code)
        lastCode = (code, number)
        return number
    }

    private mutating func streamNumber(_ file: SourceFile) -> Int32 {
        if let (last, number) = lastFile, last === file { return number }
        let number = streams.number(file.objectKey.stream ?? RecordField.none)
        lastFile = (file, number)
        return number
    }

    private var memo = FingerprintMemo()

    /// Each kind's last message and its number: records of one file mostly repeat the one before, and
    /// comparing two strings is cheaper than hashing one.
    private var lastMessages = [(String, Int32)?](repeating: nil, count: FailureKind.allCases.count)

    /// Recent fingerprints and their numbers: messages with ids differ, their fingerprints mostly do not,
    /// and finding the bytes there is cheaper than making a string and hashing it.
    private var recentFingerprints = RecentTexts()

    private mutating func fingerprintNumber(_ message: String) -> Int32 {
        let bytes = MessageFingerprint.fingerprintBytes(message)
        if let known = bytes.withUnsafeBufferPointer({ recentFingerprints.number(of: $0) }) { return known }
        let number = messages.number(String(decoding: bytes, as: UTF8.self))
        recentFingerprints.remember(bytes, as: number)
        return number
    }

    private mutating func messageNumber(_ message: String, kind: FailureKind) -> Int32 {
        if let (last, number) = lastMessages[kind.ordinal], last == message { return number }
        let number: Int32
        switch memo.lookUp(message, kind: kind) {
        case .known(let known): number = known
        case .unknown(let worthRemembering):
            number = fingerprintNumber(message)
            if worthRemembering { memo.remember(message, as: number) }
        }
        lastMessages[kind.ordinal] = (message, number)
        return number
    }

    /// Each target with the kinds that go back through it.
    var tallies: [BackfillTargetName: TargetTally] {
        var byTarget: [BackfillTargetName: TargetTally] = [:]
        for kind in FailureKind.allCases where kindTallies[kind.ordinal].records > 0 {
            let tally = kindTallies[kind.ordinal]
            byTarget[ReportTargets.natural(for: kind), default: TargetTally()].kinds[kind] = tally.records
            byTarget[ReportTargets.natural(for: kind)]!.tally.absorb(tally)
        }
        return byTarget
    }

    private static func tally(_ tally: inout KindTally, rejection: Rejection?) {
        tally.records += 1
        if let why = rejection {
            tally.rejected[why.code, default: 0] += 1
            tally.reasons[why.code, default: [:]][why.reason, default: 0] += 1
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
        let wider = unit
        let renumbered = other.messages.names.map { messages.number($0) }
        let codeNumbers = other.codes.names.map { codes.number($0) }
        let streamNumbers = other.streams.names.map { streams.number($0) }
        if let theirs = other.minutes, minutes != nil {
            for (key, count) in theirs { minutes![MinuteKey(minute: key.minute, code: codeNumbers[Int(key.code)]), default: 0] += count }
            if minutes!.count > Self.maxMinuteCounts { minutes = nil }
        } else {
            minutes = nil
        }
        for (key, group) in other.fine {
            var k = key
            k.bucket = key.bucket.map(wider.start(of:))
            k.message = renumbered[Int(key.message)]
            k.code = codeNumbers[Int(key.code)]
            k.stream = streamNumbers[Int(key.stream)]
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
        for (k, tally) in other.kindTallies.enumerated() { kindTallies[k].absorb(tally) }
        possiblyDelivered += other.possiblyDelivered
        emptyFiles += other.emptyFiles
    }

    private static func note(_ value: String, _ record: FailureRecord, example: () -> String? = { nil }, events: Int = 0,
                             in facts: inout [String: Fact]) {
        // One lookup, the fact changed where it lies; past the bound, new values are counted as one.
        let key = facts.count < maxFactValues || facts[value] != nil ? value : "(other)"
        Self.update(&facts[key, default: Fact()], record, example: example, events: events)
    }

    private static func update(_ fact: inout Fact, _ record: FailureRecord, example: () -> String?, events: Int) {
        fact.records += 1
        fact.events += events
        fact.consider(example, file: record.file.path, line: record.line)
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
