import DeadLetterAgent
import DeadLetterBackfill
import DeadLetterBytes
import DeadLetterEngine
import DeadLetterInput
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSupport
import Foundation

/// Everything `report` needs, as plain values.
public struct ReportOptions: Sendable {
    public var input = InputOptions()
    /// The page's path; `-` writes it to standard output.
    public var out = ""
    /// The arguments to repeat in the page's commands (the paths and filters as given).
    public var commandArguments: [String] = []
    /// Reading threads; the page does not depend on their number (tests vary it to show so).
    public var workers = Cores.available

    public init() {}
}

/// `deadletter report`: one pass over the inputs, then one HTML page, written whole or not at all.
public enum ReportJob {
    public static func run(_ options: ReportOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        guard !options.out.isEmpty else { throw UsageError("--out FILE.html is required (or --out - for standard output)") }
        let html = try render(options, diagnostics: diagnostics)
        if options.out == "-" {
            BufferedOutput.writing(to: output) { $0.write(html) }
        } else {
            do {
                // Written beside the destination and renamed over it: a reader never sees half a page.
                try Data(html.utf8).write(to: URL(fileURLWithPath: options.out), options: .atomic)
            } catch {
                diagnostics.report(.error(.outputFailed, "cannot write \(options.out): \(error.localizedDescription)"))
                return .inputError
            }
            diagnostics.report(.note(.reportOutput, "report written to \(options.out) (\(HumanNumber.bytes(Int64(html.utf8.count))))"))
        }
        return diagnostics.exitStatus
    }

    /// The page for the inputs: read once, in input order.
    public static func render(_ options: ReportOptions, diagnostics: Diagnostics) throws(UsageError) -> String {
        let targets = ReportTargets()
        var input = options.input
        var needs = ReportTargets.payloadNeeds
        // As `summarize` reads for the same filters.
        needs.keep = input.filter.fields.contains(.payload)
        needs.paths = RecordField.payloadPaths(input.filter.fields)
        input.read.payloadNeeds = needs
        input.read.keepOtherFields = false
        input.read.keepMessages = true
        let run = InputRun(options: input, diagnostics: diagnostics)
        // Read on every core into partial counts, merged at the end, as `summarize` reads.
        var malformedFiles = Set<String>()
        let result = try run.fold(
            workers: options.workers, keepSamples: Summary.maxMalformedSamples,
            makeState: { ReportBuilder() },
            record: { builder, record in builder.add(record, targets: targets) },
            file: { builder, stats in builder.finished(stats) },
            malformed: { malformedFiles.insert($0.file) })
        var builder = ReportBuilder()
        for partial in result.states { builder.merge(partial) }
        let outcome = result.outcome
        builder.summary.setReadTallies(malformed: outcome.malformed, trailingJunk: outcome.trailingJunk, repeats: outcome.repeats,
                                       messageIdConflicts: outcome.messageIdConflicts, samples: result.malformedSamples)
        var summary = builder.summary.build()
        summary.totals.inputErrors = outcome.inputErrors
        // Files that held no failure record but lines that are none: agent logs and configs, read as `agent` reads them.
        var agent: AgentAnalysis?
        let others = builder.emptyFiles.filter(malformedFiles.contains).sorted()
        if !others.isEmpty {
            let analysis = AgentJob.analyze(InputSources.list(others, remote: options.input.remoteSources), diagnostics: Diagnostics.capturing())
            if !analysis.findings.isEmpty { agent = analysis }
        }
        let model = ReportModel(builder, summary: summary, inputs: options.input.paths, commandArguments: options.commandArguments,
                                agent: agent)
        return ReportPage.render(model)
    }
}
