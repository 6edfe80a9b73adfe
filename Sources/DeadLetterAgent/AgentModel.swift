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
    /// The agent (re)started.
    case start
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
