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
