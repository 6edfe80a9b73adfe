import DeadLetterBytes
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `awslogs.conf`: INI sections, `[general]` for the agent and one section per file.
enum AwslogsConf {
    static func looksLikeConf(_ lines: [String]) -> Bool {
        lines.contains { $0.trimmingCharacters(in: " ").hasPrefix("[") } && lines.contains { $0.contains("log_group_name") || $0.hasPrefix("[general]") }
    }

    static func sources(_ lines: [String], file: String) -> [LogSource] {
        var sources: [LogSource] = []
        var section: String?
        var values: [String: String] = [:]
        func flush() {
            guard let section, section != "general", let group = values["log_group_name"] else { return }
            sources.append(LogSource(configFile: file, entry: section, path: values["file"], logGroup: group,
                                     streamTemplate: values["log_stream_name"] ?? "{instance_id}"))
        }
        for raw in lines {
            let line = raw.trimmingCharacters(in: " ")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                flush()
                section = String(line.dropFirst().dropLast())
                values = [:]
                continue
            }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = String(line[..<eq]).trimmingCharacters(in: " ")
            let value = String(line[line.index(after: eq)...]).trimmingCharacters(in: " ")
            values[key] = value
        }
        flush()
        return sources
    }
}

/// `amazon-cloudwatch-agent.json`: `logs.logs_collected.files.collect_list[]` (and Windows event logs).
enum AgentJSONConfig {
    struct Document: Decodable {
        struct Logs: Decodable {
            struct Collected: Decodable {
                struct Files: Decodable { var collect_list: [Entry]? }
                struct Events: Decodable { var collect_list: [Entry]? }
                var files: Files?
                var windows_events: Events?
            }
            var logs_collected: Collected?
            var log_stream_name: String?
        }
        struct Entry: Decodable {
            var file_path: String?
            var event_name: String?
            var log_group_name: String?
            var log_stream_name: String?
        }
        var logs: Logs?
    }

    /// What a file that starts with `{` turned out to be.
    enum Verdict: Equatable {
        /// One JSON object: read it as a config.
        case config
        /// Another tool's input, with what to run instead.
        case otherInput(String)
        /// Not JSON, or more than one value: the reason, with line and column.
        case invalid(String)
    }

    /// Top-level members of a Firehose failure record (every destination's record has at least two) and of
    /// an SQS message (`aws sqs receive-message` output, a saved message, a Lambda SQS event).
    static let firehoseMembers: Set<String> = ["attemptsMade", "arrivalTimestamp", "attemptEndingTimestamp", "errorCode", "errorMessage",
                                               "ErrorCode", "ErrorMessage", "rawData"]
    static let sqsMembers: Set<String> = ["Messages", "MessageId", "messageId", "ReceiptHandle", "receiptHandle", "Body", "body", "Records"]

    /// Checks the bytes are one JSON object, and not records or messages that `summarize` reads.
    static func check(_ bytes: [UInt8]) -> Verdict {
        guard let start = bytes.firstIndex(where: { !(0x09...0x0D).contains($0) && $0 != 0x20 }) else { return .config }
        var scanner = JSONScanner()
        var members: [ScannedMember] = []
        let outcome = bytes.withUnsafeBufferPointer { buffer in
            scanner.scan(buffer.baseAddress!, start: start, end: buffer.count, atEOF: true, members: &members)
        }
        switch outcome {
        case .incomplete:
            return .invalid("not valid JSON at \(position(bytes.count, in: bytes)): unexpected end of input")
        case .invalid(let at, let reason):
            return .invalid("not valid JSON at \(position(at, in: bytes)): \(reason)")
        case .complete(let end, _):
            let keys = Set(members.map { String(decoding: bytes[$0.keyStart..<$0.keyEnd], as: UTF8.self) })
            if keys.intersection(firehoseMembers).count >= 2 {
                return .otherInput("Amazon Data Firehose failure records, not a CloudWatch agent log or config: run `deadletter summarize` on them")
            }
            let agentMembers: Set<String> = ["logs", "agent", "metrics", "traces"]
            if !keys.isDisjoint(with: sqsMembers) && keys.isDisjoint(with: agentMembers) {
                return .otherInput("SQS messages (a dead-letter queue), not a CloudWatch agent log or config: run `deadletter summarize` on them")
            }
            if keys == ["entries"] {
                return .otherInput("a Firehose Redshift manifest, not a CloudWatch agent log or config: run `deadletter summarize` on it")
            }
            var next = end
            while next < bytes.count, (0x09...0x0D).contains(bytes[next]) || bytes[next] == 0x20 { next += 1 }
            if next < bytes.count {
                return .invalid("not one JSON object: more follows at \(position(next, in: bytes)) (an agent JSON config is one object)")
            }
            return .config
        }
    }

    /// `line L, column C` of a byte offset, both from 1; the column counts characters, not bytes.
    static func position(_ offset: Int, in bytes: [UInt8]) -> String {
        var line = 1, column = 1
        for b in bytes[..<min(offset, bytes.count)] {
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return "line \(line), column \(column)"
    }

    /// A decoding error in words: where in the document (`logs.logs_collected.files.collect_list[0].file_path`)
    /// and what was expected there.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not readable as an agent JSON config" }
        func path(_ c: DecodingError.Context) -> String {
            var out = ""
            for key in c.codingPath {
                if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out.isEmpty ? "the top level" : out
        }
        func expected(_ type: Any.Type) -> String {
            if type == String.self { return "a string" }
            return String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
        switch error {
        case .typeMismatch(let type, let c), .valueNotFound(let type, let c):
            return "not a CloudWatch agent JSON config: \(path(c)) should be \(expected(type))"
        case .keyNotFound(let key, let c):
            return "not a CloudWatch agent JSON config: \(path(c)) has no \(key.stringValue)"
        case .dataCorrupted(let c):
            return "not a CloudWatch agent JSON config: \(path(c)) cannot be read"
        @unknown default:
            return "not readable as an agent JSON config"
        }
    }

    static func sources(_ bytes: [UInt8], file: String) throws -> [LogSource] {
        let document = try JSONDecoder().decode(Document.self, from: Data(bytes))
        let defaultStream = document.logs?.log_stream_name ?? "{instance_id}"
        var sources: [LogSource] = []
        for (i, entry) in (document.logs?.logs_collected?.files?.collect_list ?? []).enumerated() {
            // The agent names the group after the file when none is given.
            let group = entry.log_group_name ?? entry.file_path ?? ""
            sources.append(LogSource(configFile: file, entry: "files.collect_list[\(i)] \(entry.file_path ?? "")", path: entry.file_path,
                                     logGroup: group, streamTemplate: entry.log_stream_name ?? defaultStream))
        }
        for (i, entry) in (document.logs?.logs_collected?.windows_events?.collect_list ?? []).enumerated() {
            guard let group = entry.log_group_name else { continue }
            sources.append(LogSource(configFile: file, entry: "windows_events.collect_list[\(i)] \(entry.event_name ?? "")", path: nil,
                                     logGroup: group, streamTemplate: entry.log_stream_name ?? defaultStream))
        }
        return sources
    }
}
