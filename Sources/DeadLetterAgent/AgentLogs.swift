/// One message parsed from an agent log line.
struct AgentLogMessage {
    var time: Int64?
    var level: String
    var text: String
    var logger: String?
    var pid: String?
    var thread: String?
}

/// The old awslogs agent: `2019-08-15 05:09:54,795 - cwlogs.push.publisher - WARNING - 4399 - Thread-5 - message`.
enum AwslogsLog {
    static func parse(_ line: [UInt8]) -> AgentLogMessage? {
        guard line.count > 26, AgentTime.parse(line[0..<23]) != nil, line[10] == UInt8(ascii: " "), line[19] == UInt8(ascii: ",") else { return nil }
        let rest = String(decoding: line[23...], as: UTF8.self)
        // " - logger - LEVEL - pid - thread - message"
        let parts = rest.split(separator: " - ", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[3].allSatisfy(\.isNumber) else { return nil }
        return AgentLogMessage(time: AgentTime.parse(line[0..<23]), level: String(parts[2]), text: String(parts[5]),
                               logger: String(parts[1]), pid: String(parts[3]), thread: String(parts[4]))
    }
}

/// The unified CloudWatch agent: `2021-10-14T04:59:43Z E! [outputs.cloudwatchlogs] message` (before 2021:
/// `E! cloudwatchlogs: message`).
enum UnifiedAgentLog {
    static func parse(_ line: [UInt8]) -> AgentLogMessage? {
        guard line.count >= 23, line[10] == UInt8(ascii: "T"), line[19] == UInt8(ascii: "Z"), line[20] == UInt8(ascii: " "),
              line[22] == UInt8(ascii: "!"), let time = AgentTime.parse(line[0..<19]) else { return nil }
        let level = String(decoding: line[21...21], as: UTF8.self)
        let text = line.count > 24 ? String(decoding: line[24...], as: UTF8.self) : ""
        return AgentLogMessage(time: time, level: level, text: text)
    }
}

/// What a message says, across both agents' wordings (templates from the agents' sources and real logs).
enum AgentMessageClassifier {
    static let exceptionNames = ["InvalidSequenceTokenException", "DataAlreadyAcceptedException", "ResourceNotFoundException",
                                 "AccessDeniedException", "ThrottlingException", "UnrecognizedClientException", "ServiceUnavailableException",
                                 "InvalidParameterException", "LimitExceededException", "ExpiredTokenException"]
    static let sequenceTokenExceptions: Set<String> = ["InvalidSequenceTokenException", "DataAlreadyAcceptedException"]

    /// The exception a message reports, if any.
    static func exception(in text: String) -> String? {
        if text.contains("Invalid SequenceToken used") || text.contains("InvalidSequenceToken") { return "InvalidSequenceTokenException" }
        for name in exceptionNames where text.contains(name) { return name }
        // awslogs: "An error occurred (X) when calling the PutLogEvents operation".
        if let open = text.firstRange(of: "An error occurred ("), let close = text[open.upperBound...].firstIndex(of: ")") {
            return String(text[open.upperBound..<close])
        }
        return nil
    }

    /// True for messages that say data was lost.
    static func isDrop(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("discard") || lower.contains("request dropped") || lower.contains("will not retry and logs will be missing")
            || lower.contains("are too old") || lower.contains("are too new") || lower.contains("are expired")
            || lower.contains("dropping") || lower.contains("dropped")
    }

    static func isUnifiedStart(_ text: String) -> Bool {
        text.contains("Starting AmazonCloudWatchAgent") || text.hasPrefix("Loaded inputs") || text.hasPrefix("Loaded outputs")
    }

    /// `sending logs to GROUP/STREAM`, `log 'GROUP/STREAM'`, `log stream GROUP/STREAM`, `to GROUP/STREAM failed`: the
    /// text between the marker and the end (`:`, `,`, `'`, space). Group and stream are split later.
    static func target(in text: String) -> String? {
        for marker in ["sending logs to ", "for log '", "Unable to create log stream ", " retries to "] {
            guard let range = text.firstRange(of: marker) else { continue }
            var name = ""
            for c in text[range.upperBound...] {
                if c == ":" || c == "," || c == "'" || c == " " { break }
                name.append(c)
            }
            if !name.isEmpty { return name }
        }
        return nil
    }

    /// awslogs: `Log group: G, log stream: S, queue size: ...`.
    static func awslogsStream(in text: String) -> (String, String)? {
        guard let g = text.firstRange(of: "Log group: "), let s = text.firstRange(of: ", log stream: ") , g.upperBound <= s.lowerBound else { return nil }
        let group = String(text[g.upperBound..<s.lowerBound])
        var stream = ""
        for c in text[s.upperBound...] {
            if c == "," { break }
            stream.append(c)
        }
        return (group, stream)
    }
}
