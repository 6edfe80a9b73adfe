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
    public var wide = false
    public var color: ColorChoice = .auto

    public init() {}
}

/// `deadletter summarize`: reads the inputs into one summary and prints it.
public enum SummarizeJob {
    public static func run(_ options: SummarizeOptions, output: OutputStream, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        var builder = SummaryBuilder(groupBy: options.groupBy)
        var input = options.input
        let wanted = options.groupBy + input.filter.fields
        input.read.payloadNeeds = PayloadNeeds(keep: wanted.contains(.payload), paths: RecordField.payloadPaths(wanted))
        let run = InputRun(options: input, diagnostics: diagnostics)
        let outcome = try run.run { event in
            switch event {
            case .record(let record): builder.add(record)
            case .malformed(let line): builder.addMalformed(line)
            case .payloadProblem: break
            case .repeated: builder.addRepeat()
            case .finished(let stats): builder.addFile(stats)
            }
            return true
        }
        var summary = builder.build()
        summary.totals.inputErrors = outcome.inputErrors
        if let top = options.top { summary.keepTop(top) }
        write(summary, format: options.format, wide: options.wide, color: options.color, to: output)
        return outcome.exitStatus(strict: options.input.strict)
    }

    /// The summary is written only once complete, so a redirected file never holds half of one.
    public static func write(_ summary: Summary, format: SummaryFormat, wide: Bool, color: ColorChoice, to output: OutputStream) {
        switch format {
        case .json: output.write(SummaryJSON.render(summary))
        case .csv: output.write(SummaryCSV.render(summary))
        case .table:
            let table = SummaryTable(width: Terminal.columns(), wide: wide, color: color.enabled(fd: 1))
            output.write(table.render(summary))
        }
        output.flush()
    }
}
