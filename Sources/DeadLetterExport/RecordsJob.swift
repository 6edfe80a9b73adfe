import DeadLetterEngine
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSupport
/// Everything `records` needs, as plain values.
public struct RecordsOptions: Sendable {
    public var input = InputOptions()
    public var format: RecordsFormat = .ndjson
    /// nil: the full normalised record.
    public var fields: [RecordField]?
    /// One row per CloudWatch Logs event.
    public var explode = false

    public init() {}
}

/// `deadletter records`: streams normalised records (or their log events) as they are read.
public enum RecordsJob {
    public static func run(_ options: RecordsOptions, output sink: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        if !options.explode, let event = options.fields?.first(where: \.isEventColumn) {
            throw UsageError("--fields: '\(event.name)' is a column of --explode rows (one per CloudWatch Logs event); add --explode")
        }
        var input = options.input
        let wanted = (options.fields ?? []) + input.filter.fields
        input.read.payloadNeeds = PayloadNeeds(
            keep: options.fields == nil || wanted.contains(.payload),
            paths: RecordField.payloadPaths(wanted),
            events: options.explode)
        let builder = RowBuilder(fields: options.fields)
        var reporter: any RecordReporter
        switch options.format {
        case .ndjson: reporter = NDJSONReporter()
        case .json: reporter = JSONReporter()
        case .csv: reporter = CSVReporter(header: builder.columns(explode: options.explode))
        }
        let explode = options.explode
        let renderer = reporter
        let output = BufferedOutput(sink)
        // Rows are built and rendered on the reading threads; only the writing happens here, in input order.
        let outcome = try InputRun(options: input, diagnostics: diagnostics).run(
            prepare: { record in renderer.render(record, rows: builder, explode: explode) },
            weigh: { $0.count }
        ) { event in
            guard case .record(let rendered) = event else { return true }
            reporter.write(rendered: rendered, to: output)
            // A closed pipe (`| head`) stops the reading too.
            return !output.closed
        }
        if !outcome.stopped { reporter.finish(output) }
        output.flush()
        return diagnostics.exitStatus
    }
}
