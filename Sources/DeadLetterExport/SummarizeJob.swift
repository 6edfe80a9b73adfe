import DeadLetterEngine
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSupport
/// Output formats of `summarize`.
public enum SummaryFormat: String, CaseIterable, Sendable {
    case table, json, csv
}

/// Everything `summarize` needs, as plain values: the executable copies its flags into this.
public struct SummarizeOptions: Sendable {
    public var input = InputOptions()
    public var groupBy: [RecordField] = [.kind, .errorCode]
    public var format: SummaryFormat = .table
    public var top: Int?
    /// `--sort`; nil: time order for a lone hour or day key, else largest first.
    public var order: SummaryOrder?
    public var wide = false
    /// The table's width in columns (the executable gives the terminal's).
    public var width = 80
    /// Colour in the table (the executable decides, from --color, NO_COLOR and the terminal).
    public var color = false
    /// Threads to read with (default: the cores available).
    public var workers: Int?

    public init() {}
}

/// `deadletter summarize`: reads the inputs into one summary and prints it.
public enum SummarizeJob {
    public static func run(_ options: SummarizeOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        var builder = SummaryBuilder(groupBy: options.groupBy)
        var input = options.input
        let wanted = options.groupBy + input.filter.fields
        input.read.payloadNeeds = PayloadNeeds(keep: wanted.contains(.payload), paths: RecordField.payloadPaths(wanted))
        input.read.keepOtherFields = false
        input.read.keepMessages = wanted.contains(.errorMessage) || wanted.contains(.message)
        let run = InputRun(options: input, diagnostics: diagnostics)
        // Files are read in parallel, each on one core; partial summaries merge exactly.
        let groupBy = options.groupBy
        let result = try run.fold(
            workers: options.workers ?? Cores.available, keepSamples: Summary.maxMalformedSamples,
            makeState: { SummaryBuilder(groupBy: groupBy) },
            record: { builder, record in builder.add(record) },
            file: { builder, stats in builder.addFile(stats) })
        let outcome = result.outcome
        for partial in result.states { builder.merge(partial) }
        builder.setReadTallies(malformed: outcome.malformed, trailingJunk: outcome.trailingJunk, repeats: outcome.repeats,
                               messageIdConflicts: outcome.messageIdConflicts, samples: result.malformedSamples)
        var summary = builder.build()
        summary.totals.inputErrors = outcome.inputErrors
        summary.shard = result.shard
        // --top keeps the largest groups whatever the order they are shown in.
        if let top = options.top { summary.keepTop(top) }
        let order = options.order ?? SummaryOrder.defaultOrder(for: options.groupBy)
        summary.order(by: order)
        BufferedOutput.writing(to: output) { output in
            write(summary, format: options.format, wide: options.wide, width: options.width, color: options.color,
                  timeline: order == .key, to: output)
        }
        return diagnostics.exitStatus
    }

    /// The summary is written only once complete, so a redirected file never holds half of one.
    public static func write(_ summary: Summary, format: SummaryFormat, wide: Bool, width: Int, color: Bool, timeline: Bool = false,
                             to output: BufferedOutput) {
        switch format {
        case .json: output.write(SummaryJSON.render(summary))
        case .csv: output.write(SummaryCSV.render(summary))
        case .table:
            let table = SummaryTable(width: width, wide: wide, color: color, timeline: timeline)
            output.write(table.render(summary))
        }
        output.flush()
    }
}
