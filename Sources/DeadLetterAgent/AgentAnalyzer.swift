import DeadLetterBytes
/// Turns what was read into findings. Rules:
/// - `shared-stream`: config sources writing one group and stream template; within one config (one host)
///   always, across configs only when the stream name has no per-host placeholder.
/// - `restart-token-error`: sequence-token errors within `restartWindow` after an agent start.
/// - `concurrent-writers`: two or more sequence-token errors on a stream outside those windows.
/// - `missing-group`: ResourceNotFoundException, per log group.
/// - `dropped-data`: messages saying data was dropped or discarded, per stream.
/// - `outdated-agent`: sequence-token errors dated after 2023-01-05, when PutLogEvents stopped checking tokens.
public struct AgentAnalyzer {
    public var sources: [LogSource] = []
    public var events: [AgentEvent] = []
    public var restartWindow: Int64 = 120_000
    /// 2023-01-05T00:00:00Z.
    public static let tokensIgnoredSince: Int64 = 1_672_876_800_000

    public init() {}

    static let unknownStream = "(unknown)"

    /// Splits `GROUP/STREAM` using the configured groups (names may contain `/`), else at the last `/`.
    func split(_ target: String) -> (String, String) {
        let groups = Set(sources.map(\.logGroup)).sorted { $0.count > $1.count }
        for group in groups where target.hasPrefix(group + "/") {
            return (group, String(target.dropFirst(group.count + 1)))
        }
        guard let slash = target.lastIndex(of: "/") else { return (target, Self.unknownStream) }
        return (String(target[..<slash]), String(target[target.index(after: slash)...]))
    }

    func isTokenError(_ e: AgentEvent) -> Bool {
        if case .exception(let name) = e.kind { return AgentMessageClassifier.sequenceTokenExceptions.contains(name) }
        return false
    }

    /// Token errors right after a start of the agent that logged them.
    func afterRestart(_ e: AgentEvent, starts: [String: [Int64]]) -> Bool {
        guard let t = e.time, let list = starts[e.file] else { return false }
        return list.contains { t >= $0 && t - $0 <= restartWindow }
    }

    public func findings() -> [AgentFinding] {
        var findings: [AgentFinding] = []
        findings += sharedStreams()
        var starts: [String: [Int64]] = [:]
        for e in events where e.kind == .start { if let t = e.time { starts[e.file, default: []].append(t) } }

        let tokenErrors = events.filter(isTokenError)
        let restartErrors = tokenErrors.filter { afterRestart($0, starts: starts) }
        if !restartErrors.isEmpty {
            let files = Array(Set(restartErrors.map(\.file))).sorted()
            findings.append(AgentFinding(
                code: "restart-token-error", severity: .info,
                message: "\(restartErrors.count) sequence-token errors came within \(restartWindow / 1000) s of an agent start: the agent did not know the stream's next token yet and recovered by itself. Nothing to fix.",
                sources: files, count: restartErrors.count, first: restartErrors.compactMap(\.time).min(), last: restartErrors.compactMap(\.time).max()))
        }
        let steady = tokenErrors.filter { !afterRestart($0, starts: starts) }
        for ((group, stream), list) in grouped(steady) where list.count >= 2 {
            let unknown = group == Self.unknownStream
            findings.append(AgentFinding(
                code: "concurrent-writers", severity: .warning,
                message: "\(list.count) sequence-token errors on \(unknown ? "a stream the agent did not name" : "\(group) / \(stream)") with no agent restart before them: several writers share the stream. Give each file and each host its own log_stream_name (see shared-stream findings).",
                sources: Array(Set(list.map(\.file))).sorted(), logGroup: unknown ? nil : group, logStream: unknown ? nil : stream,
                count: list.count, first: list.compactMap(\.time).min(), last: list.compactMap(\.time).max()))
        }
        let missing = events.filter { if case .exception("ResourceNotFoundException") = $0.kind { return true }; return false }
        var byGroup: [String: [AgentEvent]] = [:]
        for e in missing { byGroup[e.logGroup ?? Self.unknownStream, default: []].append(e) }
        for (group, list) in byGroup.sorted(by: { $0.key < $1.key }) {
            let named = group != Self.unknownStream
            findings.append(AgentFinding(
                code: "missing-group", severity: .error,
                message: "\(list.count) ResourceNotFoundException for \(named ? "log group \(group)" : "a log group the agent did not name"): the group does not exist, so these events were not delivered. Create it (aws logs create-log-group --log-group-name \(named ? ShellQuote.word(group) : "NAME")) or let the agent create it (logs:CreateLogGroup in its role).",
                sources: Array(Set(list.map(\.file))).sorted(), logGroup: named ? group : nil, count: list.count,
                first: list.compactMap(\.time).min(), last: list.compactMap(\.time).max()))
        }
        let drops = events.filter { $0.kind == .dropped }
        for ((group, stream), list) in grouped(drops) {
            let unknown = group == Self.unknownStream
            findings.append(AgentFinding(
                code: "dropped-data", severity: .error,
                message: "\(list.count) messages say the agent dropped or discarded log events\(unknown ? "" : " for \(group) / \(stream)"): that data is lost from CloudWatch Logs. Re-ship it from the files, and check timestamps (older than 14 days or more than 2 hours ahead are refused) and retries.",
                sources: Array(Set(list.map(\.file))).sorted(), logGroup: unknown ? nil : group, logStream: unknown ? nil : stream,
                count: list.count, first: list.compactMap(\.time).min(), last: list.compactMap(\.time).max()))
        }
        let late = tokenErrors.filter { ($0.time ?? 0) >= Self.tokensIgnoredSince }
        if !late.isEmpty {
            findings.append(AgentFinding(
                code: "outdated-agent", severity: .warning,
                message: "\(late.count) sequence-token errors are dated after 2023-01-05, when PutLogEvents stopped checking sequence tokens: whatever logged them is an old agent or SDK (the awslogs agent is deprecated). Upgrade to the current CloudWatch agent; retries by old clients can now duplicate events.",
                sources: Array(Set(late.map(\.file))).sorted(), count: late.count, first: late.compactMap(\.time).min(), last: late.compactMap(\.time).max()))
        }
        return findings.sorted { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if a.code != b.code { return a.code < b.code }
            return (a.logGroup ?? "", a.logStream ?? "") < (b.logGroup ?? "", b.logStream ?? "")
        }
    }

    /// Events by (group, stream), unknown ones together, in a stable order.
    func grouped(_ list: [AgentEvent]) -> [((String, String), [AgentEvent])] {
        var map: [String: ((String, String), [AgentEvent])] = [:]
        for e in list {
            let key = (e.logGroup ?? Self.unknownStream, e.logStream ?? Self.unknownStream)
            map[key.0 + "\u{0}" + key.1, default: (key, [])].1.append(e)
        }
        return map.sorted { $0.key < $1.key }.map(\.value)
    }

    func sharedStreams() -> [AgentFinding] {
        var byTarget: [String: [LogSource]] = [:]
        for s in sources { byTarget[s.logGroup + "\u{0}" + s.streamTemplate, default: []].append(s) }
        var findings: [AgentFinding] = []
        for (_, list) in byTarget.sorted(by: { $0.key < $1.key }) where list.count >= 2 {
            let perFile = Dictionary(grouping: list, by: \.configFile)
            let withinOneHost = perFile.values.contains { $0.count >= 2 }
            let acrossHosts = perFile.count >= 2 && !list[0].isUniquePerHost
            guard withinOneHost || acrossHosts else { continue }
            let group = list[0].logGroup, stream = list[0].streamTemplate
            let where_ = withinOneHost ? "on one host" : "from \(perFile.count) hosts (the stream name has no per-host placeholder)"
            findings.append(AgentFinding(
                code: "shared-stream", severity: .error,
                message: "\(list.count) sources write log group \(group), stream \(stream) \(where_). One stream must have one writer: before 2023-01-05 this caused InvalidSequenceTokenException and DataAlreadyAcceptedException, and it still interleaves events. Give each source its own log_stream_name (for example add the file name, or {hostname}).",
                sources: list.map(\.label), logGroup: group, logStream: stream, count: list.count))
        }
        return findings
    }
}
