import DeadLetterRecords
/// Accumulates records into a `Summary`. Value type: each worker keeps its own and they merge at the end.
public struct SummaryBuilder: Sendable {
    public let groupBy: [RecordField]
    private var totals = SummaryTotals()
    private var groups: [[String]: SummaryGroup] = [:]
    private var samples: [MalformedLine] = []

    public init(groupBy: [RecordField]) { self.groupBy = groupBy }

    public mutating func add(_ record: FailureRecord) {
        totals.records += 1
        if record.messageId != nil { totals.sqsMessages += 1 }
        totals.payloadBytes += Int64(record.payload.decodedBytes)
        if record.payload.type == .invalidBase64 { totals.undecodable += 1 }
        let events = record.payload.cloudWatch?.dataEvents ?? 0
        totals.logEvents += events
        if record.payload.cloudWatch?.isControlMessage == true { totals.controlMessages += 1 }
        // One warning and one count per problem: values out of range, then a damaged gzip payload.
        if record.payload.problem != nil { totals.payloadProblems += 1 }
        if !record.valueProblems.isEmpty {
            let notNumbers = Int(record.valuesNotNumbers)
            totals.payloadProblems += record.valueProblems.count
            totals.valuesOutOfRange += record.valueProblems.count - notNumbers
            totals.valuesNotNumbers += notNumbers
        }
        if let arrival = record.arrival {
            totals.firstArrival = min(totals.firstArrival ?? arrival, arrival)
            totals.lastArrival = max(totals.lastArrival ?? arrival, arrival)
        }

        let key = groupBy.map { $0.value(of: record) ?? RecordField.none }
        // One hash lookup, and the group is updated where it lies.
        groups[key, default: SummaryGroup(key: key)].add(record, events: events)
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
