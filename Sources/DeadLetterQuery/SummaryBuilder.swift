import DeadLetterRecords
/// Accumulates records into a `Summary`. Value type: each worker keeps its own and they merge at the end.
public struct SummaryBuilder: Sendable {
    public let groupBy: [RecordField]
    private var totals = SummaryTotals()
    private var groups: [[String]: SummaryGroup] = [:]
    private var samples: [MalformedLine] = []

    public init(groupBy: [RecordField]) { self.groupBy = groupBy }

    public mutating func add(_ record: FailureRecord) {
        add(SummaryContribution(record, groupBy: groupBy))
    }

    /// A record's share, made where the record is (a reading thread) and added here, in input order: the
    /// same counting as `add(record)`, for a consumer that holds no record any more (`report`).
    public mutating func add(_ c: SummaryContribution) {
        totals.records += 1
        if c.fromSQS { totals.sqsMessages += 1 }
        totals.payloadBytes += c.stats.payloadBytes
        if c.undecodable { totals.undecodable += 1 }
        totals.logEvents += c.stats.events
        if c.controlMessage { totals.controlMessages += 1 }
        // One warning and one count per problem: values out of range, then a damaged gzip payload.
        if c.payloadProblem { totals.payloadProblems += 1 }
        if c.valueProblems > 0 {
            totals.payloadProblems += c.valueProblems
            totals.valuesOutOfRange += c.valueProblems - c.valuesNotNumbers
            totals.valuesNotNumbers += c.valuesNotNumbers
        }
        if let arrival = c.stats.arrival {
            totals.firstArrival = min(totals.firstArrival ?? arrival, arrival)
            totals.lastArrival = max(totals.lastArrival ?? arrival, arrival)
        }
        // One hash lookup, and the group is updated where it lies; no groups for a summary of totals only.
        if !groupBy.isEmpty { groups[c.key, default: SummaryGroup(key: c.key)].add(c.stats) }
    }

    public mutating func addFile(_ stats: FileStatistics) {
        totals.files += 1
        totals.bytesRead += stats.bytesRead
        totals.lines += stats.lines
        totals.blankLines += stats.blankLines
    }

    /// Folds another worker's partial summary into this one (samples are set separately, in input order).
    public mutating func merge(_ other: SummaryBuilder) {
        totals.add(other.totals)
        for (key, group) in other.groups { groups[key, default: SummaryGroup(key: key)].absorb(group) }
    }

    /// What the run decided outside the per-record fold: malformed units, trailing junk, SQS repeats and
    /// conflicts, and the samples in input order.
    public mutating func setReadTallies(malformed: Int, trailingJunk: Int, repeats: Int, messageIdConflicts: Int, samples: [MalformedLine]) {
        totals.malformed = malformed
        totals.trailingJunk = trailingJunk
        totals.repeats = repeats
        totals.messageIdConflicts = messageIdConflicts
        self.samples = samples
    }

    public func build() -> Summary {
        var summary = Summary(groupBy: groupBy)
        summary.totals = totals
        summary.groups = Array(groups.values)
        Summary.sortGroups(&summary.groups)
        summary.malformedSamples = samples
        return summary
    }
}

/// What one record adds to a group: its payload bytes, CloudWatch Logs events, arrival and attempts.
public struct RecordStats: Sendable {
    public var payloadBytes: Int64
    public var events: Int
    public var arrival: Int64?
    public var attempts: Int64?

    public init(_ record: __shared FailureRecord) {
        payloadBytes = Int64(record.payload.decodedBytes)
        events = record.payload.cloudWatch?.dataEvents ?? 0
        arrival = record.arrival
        attempts = record.attemptsMade
    }
}

/// What one record adds to a summary, taken from the record where it is read.
public struct SummaryContribution: Sendable {
    public var key: [String]
    public var stats: RecordStats
    var fromSQS: Bool
    var undecodable: Bool
    var controlMessage: Bool
    var payloadProblem: Bool
    var valueProblems: Int
    var valuesNotNumbers: Int

    @inlinable
    public init(_ record: __shared FailureRecord, groupBy: [RecordField]) {
        self.init(record, key: groupBy.map { $0.value(of: record) ?? RecordField.none })
    }

    public init(_ record: __shared FailureRecord, key: [String]) {
        self.key = key
        stats = RecordStats(record)
        fromSQS = record.messageId != nil
        undecodable = record.payload.type == .invalidBase64
        controlMessage = record.payload.cloudWatch?.isControlMessage == true
        payloadProblem = record.payload.problem != nil
        valueProblems = record.valueProblems.count
        valuesNotNumbers = Int(record.valuesNotNumbers)
    }
}
