import DeadLetterAgent
import DeadLetterBackfill
import DeadLetterBytes
import DeadLetterQuery

/// Everything the page shows, worked out from the counts: the summary (`summarize`'s numbers), the time
/// buckets, the tables by error code, message and kind, the destinations' facts, what can be put back, and
/// the agent findings. Plain values: the page only lays them out.
public struct ReportModel: Sendable {
    /// One row of a table: its key, its numbers and its count per chart slot (for the sparkline).
    public struct Row: Sendable {
        public var key: String
        public var group: SummaryGroup
        public var perSlot: [Int]
    }

    /// One bar of the chart: a bucket and its count by error code (in `chartCodes` order, then the rest).
    public struct Bar: Sendable {
        public var start: Int64
        public var byCode: [Int]
        public var total: Int { byCode.reduce(0, +) }
    }

    public struct Fact: Sendable {
        public var value: String
        public var records: Int
        public var events: Int
        public var examples: [String]
    }

    /// What a backfill target would do with the records of its kinds.
    public struct PutBack: Sendable {
        public var target: BackfillTargetName
        public var kinds: [(kind: String, records: Int)]
        public var sendable: Int
        public var rejected: [(code: String, count: Int, reason: String)]
        public var commands: [String]
    }

    public var summary: Summary
    public var inputs: [String]
    public var unit: Timeline.Unit
    /// The chart's slots along time; `bars[i]` for `.bucket(_, index: i)`.
    public var slots: [Timeline.Slot]
    public var bars: [Bar]
    /// The error codes the chart stacks by name; the others are added up as one.
    public var chartCodes: [String]
    /// Records without an arrival time, which the chart cannot place.
    public var undated: Int
    public var codes: [Row]
    public var messages: [Row]
    public var kinds: [Row]
    public var streams: [Row]
    public var samples: [String: [ReportSample]]
    /// The largest group by error code and stream, in words.
    public var headline: String?
    public var indexes: [Fact]
    public var lambdas: [Fact]
    public var logGroups: [Fact]
    public var routes: [Fact]
    public var possiblyDelivered: Int
    public var putBack: [PutBack]
    public var agent: AgentAnalysis?

    /// At most this many slots on the chart: the unit widens until they fit.
    static let maxSlots = 400
    static let chartCodeCount = 6

    init(_ builder: ReportBuilder, summary: Summary, inputs: [String], commandArguments: [String], agent: AgentAnalysis?) {
        self.summary = summary
        self.inputs = inputs
        self.agent = agent
        var builder = builder
        // By the day when the merged groups are too many, or an hour's chart would not fit: decided on the
        // merged counts, so the page does not depend on how the files were shared out between the readers.
        var fineStarts = Set(builder.fine.keys.compactMap(\.bucket)).sorted()
        var fineSlots = Timeline.slots(fineStarts, unit: builder.unit)
        if builder.unit != .day && (builder.fine.count > ReportBuilder.maxFineGroups || fineSlots.count > Self.maxSlots) {
            builder.widen()
            fineStarts = Set(builder.fine.keys.compactMap(\.bucket)).sorted()
            fineSlots = Timeline.slots(fineStarts, unit: builder.unit)
        }
        let fineUnit = builder.unit
        // Where each bucket sits on the line of slots (gaps included), for the sparklines.
        var positionOfStart: [Int64: Int] = [:]
        for (position, slot) in fineSlots.enumerated() {
            if case .bucket(let start, _) = slot { positionOfStart[start] = position }
        }
        let fine = builder.fine, positions = fineSlots.count
        func rows(_ keyOf: (ReportBuilder.FineKey) -> String) -> [Row] {
            Self.rows(fine, slots: positions, slotOfStart: positionOfStart, keyOf)
        }
        let codeNames = builder.codes, messageNames = builder.messages, streamNames = builder.streams
        codes = rows { codeNames[$0.code] }
        messages = rows { messageNames[$0.message] }
        kinds = rows { $0.kind.rawValue }
        streams = rows { streamNames[$0.stream] }
        samples = Dictionary(uniqueKeysWithValues: builder.samples.map { (messageNames[$0.key], $0.value) })

        let stacked = Array(codes.prefix(Self.chartCodeCount).map(\.key))
        chartCodes = stacked
        let codeIndex = Dictionary(uniqueKeysWithValues: stacked.enumerated().compactMap { i, code in codeNames.known(code).map { ($0, i) } })
        // The chart: by the minute for an incident of three hours at most (when the counts by minute were
        // kept), else by the groups' hour or day.
        var undated = 0
        for (key, group) in builder.fine where key.bucket == nil { undated += group.count }
        self.undated = undated
        let span = (summary.totals.lastArrival ?? 0) - (summary.totals.firstArrival ?? 0)
        if let byMinute = builder.minutes, span <= 3 * 3_600_000, !byMinute.isEmpty {
            let starts = Set(byMinute.keys.map(\.minute)).sorted()
            let index = Dictionary(uniqueKeysWithValues: starts.enumerated().map { ($1, $0) })
            var bars = starts.map { Bar(start: $0, byCode: Array(repeating: 0, count: stacked.count + 1)) }
            for (key, count) in byMinute { bars[index[key.minute]!].byCode[codeIndex[key.code] ?? stacked.count] += count }
            unit = .minute
            slots = Timeline.slots(starts, unit: .minute)
            self.bars = bars
        } else {
            let index = Dictionary(uniqueKeysWithValues: fineStarts.enumerated().map { ($1, $0) })
            var bars = fineStarts.map { Bar(start: $0, byCode: Array(repeating: 0, count: stacked.count + 1)) }
            for (key, group) in builder.fine {
                guard let bucket = key.bucket, let i = index[bucket] else { continue }
                bars[i].byCode[codeIndex[key.code] ?? stacked.count] += group.count
            }
            unit = fineUnit
            slots = fineSlots
            self.bars = bars
        }

        // The largest group by error code and stream, said as a person would.
        var byCodeAndStream: [[String]: SummaryGroup] = [:]
        for (key, group) in fine {
            let names = [codeNames[key.code], streamNames[key.stream]]
            byCodeAndStream[names, default: SummaryGroup(key: names)].absorb(group)
        }
        if let top = byCodeAndStream.values.max(by: { $0.count != $1.count ? $0.count < $1.count : $0.key.lexicographicallyPrecedes($1.key) == false }),
           summary.totals.records > 0 {
            var text = "\(HumanNumber.percent(top.count, of: summary.totals.records)) (\(HumanNumber.grouped(top.count)) of \(HumanNumber.grouped(summary.totals.records))) "
            text += top.key[0] == RecordField.none ? "have no error code" : "are \(top.key[0])"
            if top.key[1] != RecordField.none { text += " on stream \(top.key[1])" }
            if let range = top.arrival {
                text += range.min == range.max ? " at \(UTCTime.minute(range.min, withYear: true)) UTC"
                    : " between \(UTCTime.minute(range.min, withYear: true)) and \(UTCTime.minute(range.max, withYear: true)) UTC"
            }
            headline = text
        } else {
            headline = nil
        }

        func facts(_ table: [String: ReportBuilder.Fact]) -> [Fact] {
            table.map { Fact(value: $0.key, records: $0.value.records, events: $0.value.events, examples: $0.value.examples.map(\.value)) }
                .sorted { $0.records != $1.records ? $0.records > $1.records : $0.value < $1.value }
        }
        indexes = facts(builder.indexes)
        lambdas = facts(builder.lambdas)
        logGroups = facts(builder.logGroups)
        routes = facts(builder.routes)
        possiblyDelivered = builder.possiblyDelivered

        putBack = builder.tallies.sorted { $0.key.rawValue < $1.key.rawValue }.map { name, byTarget in
            let tally = byTarget.tally
            let kinds = byTarget.kinds.map { (kind: $0.key.rawValue, records: $0.value) }.sorted { $0.kind < $1.kind }
            let rejected = tally.rejected.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { (code: $0.key, count: $0.value, reason: Self.mostFrequent(tally.reasons[$0.key] ?? [:])) }
            return PutBack(target: name, kinds: kinds, sendable: tally.sendable, rejected: rejected,
                           commands: Self.commands(name, kinds: kinds.map(\.kind), arguments: commandArguments))
        }
    }

    /// The reason given most often (the first in text order among equals): the same page whichever thread
    /// met which reason first.
    static func mostFrequent(_ reasons: [String: Int]) -> String {
        reasons.min { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }?.key ?? ""
    }

    /// The fine groups added up by `keyOf`, largest first, each with its records per chart bucket.
    static func rows(_ fine: [ReportBuilder.FineKey: SummaryGroup], slots: Int, slotOfStart: [Int64: Int],
                     _ keyOf: (ReportBuilder.FineKey) -> String) -> [Row] {
        var groups: [String: (SummaryGroup, [Int])] = [:]
        for (key, group) in fine {
            let k = keyOf(key)
            var entry = groups[k] ?? (SummaryGroup(key: [k]), Array(repeating: 0, count: slots))
            entry.0.absorb(group)
            if let bucket = key.bucket, let i = slotOfStart[bucket] { entry.1[i] += group.count }
            groups[k] = entry
        }
        return groups.map { Row(key: $0.key, group: $0.value.0, perSlot: $0.value.1) }
            .sorted { $0.group.count != $1.group.count ? $0.group.count > $1.group.count : $0.key < $1.key }
    }

    /// The commands that put one target's records back: a backfill per kind into a folder of its own, then
    /// the send (or, for targets no API takes, what to do with the files).
    static func commands(_ target: BackfillTargetName, kinds: [String], arguments: [String]) -> [String] {
        let inputs = arguments.isEmpty ? "FILE" : arguments.map(ShellQuote.word).joined(separator: " ")
        var lines: [String] = []
        for kind in kinds {
            let out = "\(kind)-\(target.rawValue)/"
            var options = BackfillOptions()
            options.out = out
            options.target = target
            // `--where kind=K` selects the records read as K; `--kind K` would also give K to records of no kind.
            var line = "deadletter backfill \(inputs) --where kind=\(kind) --target \(target.rawValue)"
            switch target {
            case .firehose:
                // Each stream's records back into that stream.
                line += " --split-by stream"
                options.splitBy = .stream
            case .redshift:
                line += " --table SCHEMA.TABLE --iam-role ARN"
            default:
                break
            }
            lines.append(line + " --out \(ShellQuote.word(out))")
            if let send = BackfillJob.sendCommand(target: target.rawValue, options: options) {
                lines.append(send)
            } else if target == .redshift {
                lines.append("aws s3 cp \(ShellQuote.word(out))copy-manifest.json s3://BUCKET/PATH/ && psql -f \(ShellQuote.word(out))copy.sql")
            } else if target == .snowflake {
                lines.append("snowsql -q \"PUT file://\(out)snowflake-*.ndjson @STAGE\"   # then COPY INTO TABLE FROM @STAGE FILE_FORMAT=(TYPE=JSON)")
            }
        }
        return lines
    }


}
