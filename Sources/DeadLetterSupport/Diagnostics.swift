import DeadLetterBytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum DiagnosticSeverity: String, Sendable, Hashable, CaseIterable {
    case error, warning, note
}

/// What a diagnostic is about, stable across wordings: tests and the exit status go by it, never by text.
/// A struct of constants rather than an enum so that each part of the tool can name its own.
public struct DiagnosticCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let usage = DiagnosticCode(rawValue: "usage")
    public static let unreadableInput = DiagnosticCode(rawValue: "unreadable-input")
    public static let malformedLine = DiagnosticCode(rawValue: "malformed-line")
    /// A JSON object followed by junk on its line: malformed input for `--strict`.
    public static let trailingJunk = DiagnosticCode(rawValue: "trailing-junk")
    public static let payloadProblem = DiagnosticCode(rawValue: "payload-problem")
    public static let messageIdConflict = DiagnosticCode(rawValue: "message-id-conflict")
    /// An input listed but not read, with the reason (an empty file, a second name of a file already read).
    public static let skippedInput = DiagnosticCode(rawValue: "skipped-input")
    /// SQS messages read more than once (same MessageId and body), counted once.
    public static let repeatedMessages = DiagnosticCode(rawValue: "repeated-messages")
    /// SQS messages without the EventBridge DLQ attributes.
    public static let missingAttributes = DiagnosticCode(rawValue: "missing-attributes")
    /// How many of a kind were counted but not shown one by one.
    public static let moreNotShown = DiagnosticCode(rawValue: "more-not-shown")
    /// Standard output could not be written (not a closed pipe, which ends a run quietly).
    public static let outputFailed = DiagnosticCode(rawValue: "output-failed")
    public static let unknownAgentInput = DiagnosticCode(rawValue: "unknown-agent-input")
    /// Merged counts that cannot be exact (inputs made with --top, SQS inputs).
    public static let inexactMerge = DiagnosticCode(rawValue: "inexact-merge")
    /// `merge` of shards when some shards of a listing were not given: the result covers part of the input.
    public static let missingShards = DiagnosticCode(rawValue: "missing-shards")
    /// The backfill output directory could not be made, filled or put in place (an error), or a note on it
    /// (leftovers of an earlier run removed).
    public static let backfillOutput = DiagnosticCode(rawValue: "backfill-output")
    /// Backfill records that failed with Splunk.AckTimeout and may already be indexed.
    public static let possiblyDelivered = DiagnosticCode(rawValue: "possibly-delivered")
    /// `send`: what is about to be sent where, before anything goes.
    public static let sendPlan = DiagnosticCode(rawValue: "send-plan")
    /// Backfill records that cannot be written (see rejects.ndjson).
    public static let rejectedRecords = DiagnosticCode(rawValue: "rejected-records")
    /// Backfill records from several delivery streams or kinds going to one target.
    public static let mixedRecords = DiagnosticCode(rawValue: "mixed-records")
    /// Backfill records that failed in a way re-sending them unchanged will repeat (mapping errors).
    public static let willFailAgain = DiagnosticCode(rawValue: "will-fail-again")
    /// `report`: where the page was written.
    public static let reportOutput = DiagnosticCode(rawValue: "report-output")
}

/// Where in the input a diagnostic points: the path as the user gave it, and the line when there is one.
public struct SourceLocation: Hashable, Sendable {
    public var file: String
    public var line: Int?

    public init(file: String, line: Int? = nil) {
        self.file = file
        self.line = line
    }
}

/// One message for a person, as a value: rendered to text only by `rendered`.
public struct Diagnostic: Hashable, Sendable {
    public var severity: DiagnosticSeverity
    public var code: DiagnosticCode
    public var location: SourceLocation?
    public var message: String

    public init(_ severity: DiagnosticSeverity, _ code: DiagnosticCode, at location: SourceLocation? = nil, _ message: String) {
        self.severity = severity
        self.code = code
        self.location = location
        self.message = message
    }

    public static func error(_ code: DiagnosticCode, at location: SourceLocation? = nil, _ message: String) -> Diagnostic {
        Diagnostic(.error, code, at: location, message)
    }

    public static func warning(_ code: DiagnosticCode, at location: SourceLocation? = nil, _ message: String) -> Diagnostic {
        Diagnostic(.warning, code, at: location, message)
    }

    public static func note(_ code: DiagnosticCode, at location: SourceLocation? = nil, _ message: String) -> Diagnostic {
        Diagnostic(.note, code, at: location, message)
    }

    /// The line on stderr: `deadletter: [warning: |note: ]FILE[:LINE]: message`. All of it is escaped, since
    /// paths and messages come from hostile input.
    public var rendered: String {
        var text: String
        switch severity {
        case .error: text = ""
        case .warning: text = "warning: "
        case .note: text = "note: "
        }
        if let location {
            text += location.file
            if let line = location.line { text += ":\(line)" }
            text += ": "
        }
        text += message
        return "deadletter: " + TerminalText.escape(text) + "\n"
    }
}

/// How many diagnostics a run had, shown or not, by severity and code; the exit status derives from it.
public struct DiagnosticTally: Equatable, Sendable {
    private struct Key: Hashable, Sendable {
        var severity: DiagnosticSeverity
        var code: DiagnosticCode
    }

    private var counts: [Key: Int] = [:]

    public init() {}

    public mutating func add(_ severity: DiagnosticSeverity, _ code: DiagnosticCode, _ n: Int = 1) {
        guard n > 0 else { return }
        counts[Key(severity: severity, code: code), default: 0] += n
    }

    public func count(_ code: DiagnosticCode) -> Int {
        counts.reduce(0) { $0 + ($1.key.code == code ? $1.value : 0) }
    }

    public func count(_ severity: DiagnosticSeverity) -> Int {
        counts.reduce(0) { $0 + ($1.key.severity == severity ? $1.value : 0) }
    }

    /// The contract's exit status, decided here and nowhere else:
    /// - 64 for a usage error;
    /// - 1 when the output could not be written, even with `--strict`: what was asked for was not delivered;
    /// - 2 with `--strict` and malformed input (it wins over unreadable input: the user asked for that check);
    /// - 1 for any other error (an unreadable input);
    /// - else 0: warnings and notes never fail a run.
    public func exitStatus(strict: Bool) -> ExitStatus {
        if count(.usage) > 0 { return .usage }
        if count(.outputFailed) > 0 { return .inputError }
        if strict && count(.malformedLine) + count(.trailingJunk) > 0 { return .malformedInStrictMode }
        if count(.error) > 0 { return .inputError }
        return .success
    }
}

/// Takes every diagnostic of a run: shows it on stderr (or keeps it, in tests) unless `--quiet` hides it,
/// and counts it either way. Safe to call from several threads: each line is written whole, under a lock.
public final class Diagnostics: @unchecked Sendable {
    // @unchecked: every stored property below is read and written only under `lock`.
    private enum Destination {
        case fileDescriptor(Int32)
        case memory
    }

    private let lock = Lock()
    private let destination: Destination
    private var _quiet = false
    private var _strict = false
    private var _progress: ProgressLine?
    private var _tally = DiagnosticTally()
    private var _shown: [Diagnostic] = []

    /// Writes to `fd` (stderr by default), unbuffered, so a line is out before the run goes on.
    public init(fd: Int32 = STDERR_FILENO) { destination = .fileDescriptor(fd) }

    private init(destination: Destination) { self.destination = destination }

    /// Keeps what would be shown in memory instead (`shown`, `text`), for tests.
    public static func capturing() -> Diagnostics { Diagnostics(destination: .memory) }

    /// `--quiet`: warnings and notes are counted but not shown; errors still are.
    public var quiet: Bool {
        get { lock.withLock { _quiet } }
        set { lock.withLock { _quiet = newValue } }
    }

    /// `--strict`: malformed input makes the run fail (see `DiagnosticTally.exitStatus`).
    public var strict: Bool {
        get { lock.withLock { _strict } }
        set { lock.withLock { _strict = newValue } }
    }

    /// Erased before each message, so messages never land in the middle of the progress line.
    public var progress: ProgressLine? {
        get { lock.withLock { _progress } }
        set { lock.withLock { _progress = newValue } }
    }

    public var tally: DiagnosticTally { lock.withLock { _tally } }

    /// The exit status of the run so far.
    public var exitStatus: ExitStatus { lock.withLock { _tally.exitStatus(strict: _strict) } }

    /// What was shown, when capturing.
    public var shown: [Diagnostic] { lock.withLock { _shown } }

    /// The text that was shown, when capturing: exactly what stderr would hold.
    public var text: String { shown.map(\.rendered).joined() }

    public func report(_ diagnostic: Diagnostic) {
        lock.withLock {
            _tally.add(diagnostic.severity, diagnostic.code)
            guard diagnostic.severity == .error || !_quiet else { return }
            switch destination {
            case .memory:
                _shown.append(diagnostic)
            case .fileDescriptor(let fd):
                _progress?.clear()
                Self.write(diagnostic.rendered, to: fd)
            }
        }
    }

    /// Counts diagnostics that are not shown one by one (malformed lines past the first few).
    public func count(_ severity: DiagnosticSeverity, _ code: DiagnosticCode, _ n: Int = 1) {
        lock.withLock { _tally.add(severity, code, n) }
    }

    private static func write(_ line: String, to fd: Int32) {
        // A fresh sink each time: stderr going away must not silence the lines after, nor stop the run.
        Array(line.utf8).withUnsafeBytes { FileDescriptorSink(fd: fd).write($0) }
    }
}
