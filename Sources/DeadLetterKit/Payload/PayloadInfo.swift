/// The type of a record's decoded `rawData`.
public enum PayloadType: String, CaseIterable, Sendable {
    case json, text, binary, empty
    case cloudWatchLogs = "cloudwatch-logs"
    case invalidBase64 = "invalid-base64"
}

/// What a CloudWatch Logs subscription payload (gzip JSON inside `rawData`) holds.
public struct CloudWatchLogsInfo: Sendable, Equatable {
    public var messageType: String?
    public var owner: String?
    public var logGroup: String?
    public var logStream: String?
    /// Events in the payload; only DATA_MESSAGE events are data.
    public var eventCount: Int = 0
    public var isControlMessage: Bool { messageType == "CONTROL_MESSAGE" }
    public var dataEvents: Int { messageType == "DATA_MESSAGE" ? eventCount : 0 }
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

    public init() {}
}
