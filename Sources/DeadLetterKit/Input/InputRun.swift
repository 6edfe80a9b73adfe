/// Options shared by every command that reads records.
public struct InputOptions: Sendable {
    public var paths: [String] = []
    public var read = ReadOptions()
    /// `--kind`: keep only this family, and give it to records that carry no clue to theirs.
    public var kind: FailureKind?
    /// `--where`, `--since`, `--until`.
    public var filter = RecordFilter()
    /// `--strict`: malformed input makes the run exit 2.
    public var strict = false
    /// `--quiet`: no warnings or notes on stderr.
    public var quiet = false
    /// Draw a progress line on stderr when it is a terminal (off with `--quiet` or `--no-progress`).
    public var progress = true
    /// Whether stdin is a terminal (then no PATH is a usage error rather than a silent wait).
    public var stdinIsTerminal = false

    public init() {}

    /// Whether a record is selected: `--kind`, then `--where`/`--since`/`--until`.
    public func selects(_ record: FailureRecord) -> Bool {
        if let kind, record.kind != kind { return false }
        return filter.accepts(record)
    }
}

/// Exit statuses of the contract.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case inputError = 1
    case malformedInStrictMode = 2
    case usage = 64
}

/// How a run over the inputs went, for the exit status.
public struct RunOutcome: Sendable {
    public var inputErrors = 0
    public var malformed = 0
    /// Lines whose JSON object was followed by junk (see `MalformedLine.trailing`): malformed input too.
    public var trailingJunk = 0
    /// The consumer stopped early (closed pipe).
    public var stopped = false

    /// The rule is `DiagnosticTally.exitStatus`, applied to these counts.
    public func exitStatus(strict: Bool) -> ExitStatus {
        DiagnosticTally(self).exitStatus(strict: strict)
    }
}

/// Reads every input named by the options and hands each event on, reporting on stderr what a person
/// must know: unreadable inputs, the first malformed lines, damaged payloads.
public struct InputRun {
    public static let reportedMalformedLines = 10

    public var options: InputOptions
    public let diagnostics: Diagnostics

    public init(options: InputOptions, diagnostics: Diagnostics) {
        self.options = options
        self.diagnostics = diagnostics
        if options.quiet { diagnostics.quiet = true }
    }

    /// The inputs to read: the paths, or stdin when none are given and it is not a terminal.
    public func resolvedPaths() throws(UsageError) -> [String] {
        if !options.paths.isEmpty { return options.paths }
        if options.stdinIsTerminal {
            throw UsageError("no input: give a file or directory, or pipe records on stdin (use - to read stdin explicitly)")
        }
        return ["-"]
    }

    static func conflictMessage(file: String, line: Int, id: String, earlier: String) -> String {
        "\(file):\(line): SQS MessageId \(id) was read before (\(earlier)) with a different body; both are kept"
    }

    /// The closing counts of a run, after the first few lines were shown one by one.
    func reportTail(malformed: Int, trailingJunk: Int, payloadProblems: Int, repeats: Int, messageIdConflicts: Int, messagesMissingAttributes: Int, missingAttributes: [String: Int]) {
        if malformed + trailingJunk > Self.reportedMalformedLines {
            let hidden = malformed + trailingJunk - Self.reportedMalformedLines
            let all = trailingJunk == 0 ? "\(malformed) in all" : "\(malformed) malformed and \(trailingJunk) with trailing junk in all"
            diagnostics.warning("\(hidden) more malformed lines not shown (\(all); --format json lists samples)")
        }
        if repeats > 0 {
            diagnostics.note("\(repeats) SQS messages were read more than once (same MessageId) and counted once")
        }
        if messageIdConflicts > 0 {
            diagnostics.warning("\(messageIdConflicts) SQS messages reuse a MessageId read before with a different body; each was kept as a record of its own")
        }
        if messagesMissingAttributes > 0 {
            let names = missingAttributes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            diagnostics.warning("\(messagesMissingAttributes) SQS messages lack EventBridge DLQ attributes (missing: \(names)); read as eventbridge-dlq without them")
        }
        if payloadProblems > Self.reportedMalformedLines {
            diagnostics.warning("\(payloadProblems - Self.reportedMalformedLines) more payload problems not shown")
        }
    }
}
