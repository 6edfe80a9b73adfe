import DeadLetterBytes
/// The kinds of input `deadletter agent` recognises, by content.
public enum AgentInputForm: String, Sendable {
    case awslogsLog = "awslogs-log"
    case unifiedAgentLog = "unified-agent-log"
    case awslogsConf = "awslogs-conf"
    case agentJSONConfig = "agent-json-config"
    case unknown
}

/// One configured log source: a file (or section) the agent ships to a log group and stream.
public struct LogSource: Sendable, Equatable {
    /// The config file it was found in: one config is one host.
    public var configFile: String
    /// The INI section or the `collect_list` entry that names it.
    public var entry: String
    public var path: String?
    public var logGroup: String
    /// The stream name as configured, placeholders (`{instance_id}`, `{hostname}`, ...) kept.
    public var streamTemplate: String

    /// Placeholders that differ from host to host (and so keep hosts apart, not files).
    public static let hostPlaceholders = ["{instance_id}", "{hostname}", "{local_hostname}", "{ip_address}"]

    public var isUniquePerHost: Bool { Self.hostPlaceholders.contains { streamTemplate.contains($0) } }
    public var label: String { "\(configFile) [\(entry)]" }
}

/// What a logged message tells about delivery.
public enum AgentEventKind: Sendable, Equatable {
    /// An error from PutLogEvents or the agent, by exception name (`InvalidSequenceTokenException`, ...).
    case exception(String)
    /// Data the agent says it dropped or discarded.
    case dropped
    /// The agent (re)started: one of its start-up lines (never inferred from a new process id).
    case start
    /// The agent says it is creating (awslogs) or created (unified agent, debug) a log group or stream.
    case created
    /// The agent says it published a batch to a group and stream.
    case published
}

/// What a ResourceNotFoundException says does not exist.
public enum MissingResource: String, Sendable {
    case group, stream
}

/// One logged message that matters, with where it came from.
public struct AgentEvent: Sendable {
    public var kind: AgentEventKind
    public var time: Int64?
    public var logGroup: String?
    public var logStream: String?
    public var file: String
    public var line: Int
    /// awslogs: the thread that logged it, to learn its stream from other lines of the same thread.
    public var thread: String?
    public var pid: String?
    /// ResourceNotFoundException: "The specified log group does not exist" or "... log stream does not exist".
    public var missing: MissingResource? = nil
    /// The kind of log it came from: some findings (the awslogs state file) belong to one agent only.
    public var form: AgentInputForm? = nil
}

/// What one input held.
public struct AgentInputSummary: Sendable {
    public var file: String
    public var form: AgentInputForm
    public var lines = 0
    public var blankLines = 0
    /// Logged messages (a message's continuation lines are not messages).
    public var messages = 0
    public var continuationLines = 0
    /// Lines that are neither a message, a continuation, blank, nor config: counted, never dropped silently.
    public var unknownLines = 0
    /// Config sources found.
    public var sources = 0
    public var error: String?
}

public enum Severity: String, Sendable, Comparable {
    case info, warning, error
    public static func < (a: Severity, b: Severity) -> Bool {
        let order: [Severity] = [.info, .warning, .error]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}

/// A conclusion with its evidence and its fix.
public struct AgentFinding: Sendable {
    public var code: String
    public var severity: Severity
    public var message: String
    public var sources: [String]
    public var logGroup: String?
    public var logStream: String?
    public var count: Int?
    public var first: Int64?
    public var last: Int64?
}

/// Parses the timestamps the agents write: `2019-08-15 05:09:54,795` (awslogs, local time as logged, read
/// as UTC) and `2021-10-14T04:59:43Z` (unified agent).
enum AgentTime {
    static func parse(_ b: ArraySlice<UInt8>) -> Int64? {
        let a = Array(b)
        func num(_ i: Int, _ n: Int) -> Int? {
            guard i + n <= a.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard a[k] >= 0x30 && a[k] <= 0x39 else { return nil }
                v = v * 10 + Int(a[k] - 0x30)
            }
            return v
        }
        guard a.count >= 19, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var ms = 0
        if a.count >= 23, a[19] == UInt8(ascii: ",") || a[19] == UInt8(ascii: "."), let f = num(20, 3) { ms = f }
        return UTCTime.millis(year: y, month: mo, day: d, hour: h, minute: mi, second: s, millisecond: ms)
    }
}

/// Facts the analyzer needs beyond exception names: start-up lines, what is missing, creation and publishing.
extension AgentMessageClassifier {
    /// awslogs start-up lines (`cwlogs.push` on MainThread reading its config, then `Starting publisher/reader for
    /// [...]`). A new process id alone is not a start: an excerpt can begin mid-run.
    static func isAwslogsStart(_ text: String, thread: String?) -> Bool {
        if thread == "MainThread" && (text.hasPrefix("Missing or invalid value for ") || text.hasPrefix("Using default logging configuration")
                                      || text.hasPrefix("Loading additional configs from")) { return true }
        return text.hasPrefix("Starting publisher for [") || text.hasPrefix("Starting reader for [")
    }

    /// Group or stream, from the service's own wording.
    static func missingResource(in text: String) -> MissingResource? {
        if text.contains("log group does not exist") { return .group }
        if text.contains("log stream does not exist") { return .stream }
        return nil
    }

    /// awslogs `Creating log group G.` / `Creating log stream S.`; unified agent (debug) `successfully created log group G.
    /// Retrying log stream S`, `successfully created log stream S`; awslogs `Log group: G, log stream: S, ... Publish batch`;
    /// unified agent (debug) `Pusher published N log events to group: G stream: S with size ...`.
    static func delivery(in whole: String) -> (kind: AgentEventKind, group: String?, stream: String?)? {
        var text = Substring(whole)
        if text.hasPrefix("["), let close = text.firstRange(of: "] ") { text = text[close.upperBound...] }
        if text.hasPrefix("cloudwatchlogs: ") { text = text.dropFirst("cloudwatchlogs: ".count) }
        func word(after marker: String, stoppingAt stops: Set<Character> = [" "]) -> String? {
            guard let r = text.firstRange(of: marker) else { return nil }
            var name = ""
            for c in text[r.upperBound...] {
                if stops.contains(c) || c == "\n" { break }
                name.append(c)
            }
            while name.hasSuffix(".") { name.removeLast() }
            return name.isEmpty ? nil : name
        }
        if text.hasPrefix("Creating log group ") { return (.created, word(after: "Creating log group "), nil) }
        if text.hasPrefix("Creating log stream ") { return (.created, nil, word(after: "Creating log stream ")) }
        if text.hasPrefix("successfully created log group ") {
            return (.created, word(after: "successfully created log group "), word(after: "Retrying log stream "))
        }
        if text.hasPrefix("successfully created log stream ") { return (.created, nil, word(after: "successfully created log stream ")) }
        if text.contains("Publish batch:"), let (group, stream) = awslogsStream(in: String(text)) { return (.published, group, stream) }
        if text.hasPrefix("Pusher published "), let group = word(after: " to group: "), let stream = word(after: " stream: ") {
            return (.published, group, stream)
        }
        return nil
    }
}
