/// The type of a record's decoded `rawData`.
public enum PayloadType: String, CaseIterable, Sendable {
    case json, text, binary, empty
    case cloudWatchLogs = "cloudwatch-logs"
    case invalidBase64 = "invalid-base64"
}

/// One CloudWatch Logs event inside a subscription payload.
public struct LogEvent: Sendable, Equatable {
    public var id: String?
    public var timestamp: Int64?
    public var message: String?
}

/// What a CloudWatch Logs subscription payload (gzip JSON inside `rawData`) holds.
public struct CloudWatchLogsInfo: Sendable, Equatable {
    public var messageType: String?
    public var owner: String?
    public var logGroup: String?
    public var logStream: String?
    /// Events in the payload; only DATA_MESSAGE events are data.
    public var eventCount: Int = 0
    /// The events themselves, when the reader was asked to keep them (`--explode`).
    public var events: [LogEvent]?
    public var isControlMessage: Bool { messageType == "CONTROL_MESSAGE" }
    public var dataEvents: Int { messageType == "DATA_MESSAGE" ? eventCount : 0 }
}

/// A decoded payload kept for output: JSON as compact JSON text, text as a string, anything else as base64.
public enum PayloadView: Sendable, Equatable {
    /// One JSON value (or, for a sequence such as HEC events, a JSON array of them), compact.
    case json(String)
    case text(String)
    /// Binary payloads, and `rawData` that is not base64 (kept as given).
    case base64(String)

    /// The payload as one string: JSON text, the text, or base64.
    public var text: String {
        switch self {
        case .json(let s), .text(let s), .base64(let s): return s
        }
    }
}

/// What was learnt from a record's `rawData`.
public struct PayloadInfo: Sendable {
    /// nil when the record has no `rawData` (Redshift manifests).
    public var type: PayloadType?
    /// Base64-decoded bytes.
    public var decodedBytes: Int = 0
    public var cloudWatch: CloudWatchLogsInfo?
    /// Set when the payload could not be fully understood (damaged gzip, over the inflate cap).
    public var problem: String?
    /// The payload itself, when the reader was asked to keep it (`records`, `--by payload`).
    public var view: PayloadView?
    /// The decoded bytes, exactly, when the reader was asked to keep them (backfill).
    public var bytes: [UInt8]?
    /// Values at the payload paths the reader was asked for (`payload.a.b`), keyed by the dotted path.
    public var values: [String: String?] = [:]
    /// A JSON payload of exactly one value, an object (what an OpenSearch document must be).
    public var isOneObject = false

    public init() {}
}
