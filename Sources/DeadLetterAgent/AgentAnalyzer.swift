import DeadLetterBytes
/// Turns what was read into findings. Rules:
/// - `shared-stream`: config sources writing one group and stream template; within one config (one host)
///   always, across configs only when the stream name has no per-host placeholder.
/// - `restart-token-error`: sequence-token errors within `restartWindow` after a start line of the same agent
///   process above them in the same log (a new process id is not a start).
/// - `concurrent-writers`: two or more sequence-token errors outside those windows on one named stream, or, when the
///   agent did not name the stream, in one log and one process with no start between them.
/// - `stale-agent-state`: two or more DataAlreadyAcceptedException (and nothing else) on one named stream outside
///   restart windows with no second writer shown (configs sharing the stream, or two awslogs threads on it).
/// - `resource-created`: ResourceNotFoundException followed, in the same log and process, by the agent creating the
///   group or stream and publishing to it (info).
/// - `missing-group` / `missing-stream` / `missing-resource`: other ResourceNotFoundException, per group, per stream,
///   or neither named by the service's message.
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

    /// One agent process's stretch of one log: the starts before an event in that log (by line, not by time) with
    /// the same process id where the agent logs one. Starts within `startBlock` of the previous one are one start-up.
    struct Runs {
        static let startBlock: Int64 = 10_000
        /// Per file: the start events, in line order, with the index of the run each begins.
        var starts: [String: [(event: AgentEvent, run: Int)]] = [:]

        init(_ events: [AgentEvent]) {
            var byFile: [String: [AgentEvent]] = [:]
            for e in events where e.kind == .start { byFile[e.file, default: []].append(e) }
            for (file, list) in byFile {
                var run = 0
                var previous: AgentEvent?
                var out: [(event: AgentEvent, run: Int)] = []
                for e in list.sorted(by: { $0.line < $1.line }) {
                    let sameStartUp = previous.map { p in
                        p.pid == e.pid && (p.time == nil || e.time == nil || abs(e.time! - p.time!) <= Self.startBlock)
                    } ?? false
                    if !sameStartUp { run += 1 }
                    out.append((e, run))
                    previous = e
                }
                starts[file] = out
            }
        }

        /// The last start line above `e` in its log, of its own process (awslogs logs process ids).
        func lastStart(before e: AgentEvent) -> (event: AgentEvent, run: Int)? {
            starts[e.file]?.last { $0.event.line < e.line && ($0.event.pid == nil || e.pid == nil || $0.event.pid == e.pid) }
        }

        /// Same log, same process, no start between: `file`, process id, run.
        func key(_ e: AgentEvent) -> String {
            e.file + "\u{0}" + (e.pid ?? "") + "\u{0}" + String(lastStart(before: e)?.run ?? 0)
        }
    }

    /// A token error soon after a start line of its own process, above it in the same log. A start that is not above
    /// the error, or dated after it, belongs to another run and proves nothing.
    func afterRestart(_ e: AgentEvent, runs: Runs) -> Bool {
        guard let t = e.time, let start = runs.lastStart(before: e)?.event, let s = start.time else { return false }
        return t >= s && t - s <= restartWindow
    }

    /// Writers of a stream the inputs show: config sources sharing it (the shared-stream rule), or more than one
    /// awslogs thread of one process publishing or failing on it.
    func severalWriters(group: String, stream: String) -> Bool {
        for list in sharedSourceGroups() where list[0].logGroup == group && Self.template(list[0].streamTemplate, matches: stream) { return true }
        var threads: [String: Set<String>] = [:]
        for e in events where e.logGroup == group && e.logStream == stream && e.thread != nil {
            if case .exception = e.kind {} else if e.kind != .published { continue }
            threads[e.file + "\u{0}" + (e.pid ?? ""), default: []].insert(e.thread!)
        }
        return threads.values.contains { $0.count >= 2 }
    }

    /// `{instance_id}`-style placeholders stand for any non-empty text.
    static func template(_ template: String, matches name: String) -> Bool {
        var literal: [Substring] = []
        var rest = Substring(template)
        var placeholders = 0
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            literal.append(rest[..<open])
            rest = rest[rest.index(after: close)...]
            placeholders += 1
        }
        literal.append(rest)
        if placeholders == 0 { return template == name }
        var remaining = Substring(name)
        for (i, part) in literal.enumerated() {
            if i == 0 {
                guard remaining.hasPrefix(part) else { return false }
                remaining = remaining.dropFirst(part.count)
            } else if i == literal.count - 1 {
                return remaining.count > part.count && remaining.hasSuffix(part)
            } else {
                guard let r = remaining.dropFirst().firstRange(of: part) else { return false }
                remaining = remaining[r.upperBound...]
            }
        }
        return true
    }

    /// The agent's creating and publishing lines by log and name, each list in line order.
    struct Deliveries {
        var createdStream: [String: [AgentEvent]] = [:]   // file, stream
        var createdGroup: [String: [AgentEvent]] = [:]    // file, group (lines that name no stream)
        var published: [String: [AgentEvent]] = [:]       // file, group, stream

        init(_ events: [AgentEvent]) {
            for e in events {
                switch e.kind {
                case .created:
                    if let stream = e.logStream { createdStream[e.file + "\u{0}" + stream, default: []].append(e) }
                    else if let group = e.logGroup { createdGroup[e.file + "\u{0}" + group, default: []].append(e) }
                case .published:
                    if let group = e.logGroup, let stream = e.logStream { published[e.file + "\u{0}" + group + "\u{0}" + stream, default: []].append(e) }
                default: break
                }
            }
            for k in createdStream.keys { createdStream[k]!.sort { $0.line < $1.line } }
            for k in createdGroup.keys { createdGroup[k]!.sort { $0.line < $1.line } }
            for k in published.keys { published[k]!.sort { $0.line < $1.line } }
        }

        /// The first event of `list` below `line` that `accept` takes.
        static func first(_ list: [AgentEvent]?, below line: Int, where accept: (AgentEvent) -> Bool) -> AgentEvent? {
            guard let list else { return nil }
            var lo = 0, hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if list[mid].line <= line { lo = mid + 1 } else { hi = mid }
            }
            return list[lo...].first(where: accept)
        }
    }

    /// A ResourceNotFoundException the agent's own later lines resolve: in the same log and process, with no start
    /// between, it created the group or stream and then published to that group and stream.
    func recovery(of e: AgentEvent, runs: Runs, deliveries: Deliveries) -> (created: AgentEvent, published: AgentEvent)? {
        guard let group = e.logGroup, let stream = e.logStream else { return nil }
        let key = runs.key(e)
        let inRun = { (c: AgentEvent) in runs.key(c) == key }
        let byStream = Deliveries.first(deliveries.createdStream[e.file + "\u{0}" + stream], below: e.line) { ($0.logGroup == nil || $0.logGroup == group) && inRun($0) }
        let byGroup = Deliveries.first(deliveries.createdGroup[e.file + "\u{0}" + group], below: e.line, where: inRun)
        guard let created = [byStream, byGroup].compactMap({ $0 }).min(by: { $0.line < $1.line }) else { return nil }
        guard let published = Deliveries.first(deliveries.published[e.file + "\u{0}" + group + "\u{0}" + stream], below: created.line, where: inRun)
        else { return nil }
        return (created, published)
    }

    public func findings() -> [AgentFinding] {
        var findings: [AgentFinding] = []
        findings += sharedStreams()
        let runs = Runs(events)

        let tokenErrors = events.filter(isTokenError)
        let restartErrors = tokenErrors.filter { afterRestart($0, runs: runs) }
        if !restartErrors.isEmpty {
            let files = Array(Set(restartErrors.map(\.file))).sorted()
            findings.append(AgentFinding(
                code: "restart-token-error", severity: .info,
                message: "\(restartErrors.count) sequence-token errors came within \(restartWindow / 1000) s of an agent start: the agent did not know the stream's next token yet and recovered by itself. Nothing to fix.",
                sources: files, count: restartErrors.count, first: restartErrors.compactMap(\.time).min(), last: restartErrors.compactMap(\.time).max()))
        }
        let steady = tokenErrors.filter { !afterRestart($0, runs: runs) }
        // A named stream is one stream whoever logged it; an unnamed one is only known to be one stream within one
        // process of one log (errors from other files, agents or runs may be on any streams).
        var byStream: [String: (group: String?, stream: String?, list: [AgentEvent])] = [:]
        for e in steady {
            if let group = e.logGroup, let stream = e.logStream {
                byStream["1\u{0}" + group + "\u{0}" + stream, default: (group, stream, [])].list.append(e)
            } else {
                byStream["0\u{0}" + runs.key(e), default: (nil, nil, [])].list.append(e)
            }
        }
        for (_, entry) in byStream.sorted(by: { $0.key < $1.key }) where entry.list.count >= 2 {
            let list = entry.list
            let sources = Array(Set(list.map(\.file))).sorted()
            let span = (first: list.compactMap(\.time).min(), last: list.compactMap(\.time).max())
            if let group = entry.group, let stream = entry.stream,
               // The state file is the awslogs agent's; the unified agent keeps no such position.
               list.allSatisfy({ $0.kind == .exception("DataAlreadyAcceptedException") && $0.form == .awslogsLog }),
               !severalWriters(group: group, stream: stream) {
                findings.append(AgentFinding(
                    code: "stale-agent-state", severity: .warning,
                    message: "\(list.count) DataAlreadyAcceptedException on \(group) / \(stream) with no agent restart before them and no sign of a second writer: the awslogs agent's state file (/var/lib/awslogs/agent-state, state_file in [general]) can keep a stale position for a stream after its configuration changed. Fix: give the config section a new header name (a new [section] starts with fresh state), or stop the agent, delete the state file and start it again. Either way the agent may send some events twice: expect duplicates in the stream.",
                    sources: sources, logGroup: group, logStream: stream, count: list.count, first: span.first, last: span.last))
                continue
            }
            let unknown = entry.group == nil
            let target = unknown ? "a stream the agent did not name, in one agent process of \(sources[0])," : "\(entry.group!) / \(entry.stream!)"
            findings.append(AgentFinding(
                code: "concurrent-writers", severity: .warning,
                message: "\(list.count) sequence-token errors on \(target) with no agent restart before them: several writers share the stream. Give each file and each host its own log_stream_name (see shared-stream findings).",
                sources: sources, logGroup: entry.group, logStream: entry.stream,
                count: list.count, first: span.first, last: span.last))
        }
        findings += missingResources(runs: runs)
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
            if (a.logGroup ?? "", a.logStream ?? "") != (b.logGroup ?? "", b.logStream ?? "") {
                return (a.logGroup ?? "", a.logStream ?? "") < (b.logGroup ?? "", b.logStream ?? "")
            }
            return (a.sources.joined(separator: "\u{0}"), a.first ?? 0) < (b.sources.joined(separator: "\u{0}"), b.first ?? 0)
        }
    }

    /// ResourceNotFoundException: recovered by the agent (info), or a missing stream or group (error), told apart by
    /// the service's wording.
    func missingResources(runs: Runs) -> [AgentFinding] {
        var findings: [AgentFinding] = []
        let missing = events.filter { if case .exception("ResourceNotFoundException") = $0.kind { return true }; return false }
        var recovered: [String: (AgentEvent, [AgentEvent])] = [:]
        var lost: [AgentEvent] = []
        let deliveries = Deliveries(events)
        for e in missing {
            if recovery(of: e, runs: runs, deliveries: deliveries) != nil {
                recovered[(e.missing?.rawValue ?? "") + "\u{0}" + (e.logGroup ?? "") + "\u{0}" + (e.logStream ?? ""), default: (e, [])].1.append(e)
            } else {
                lost.append(e)
            }
        }
        func span(_ list: [AgentEvent]) -> (Int64?, Int64?) { (list.compactMap(\.time).min(), list.compactMap(\.time).max()) }
        func files(_ list: [AgentEvent]) -> [String] { Array(Set(list.map(\.file))).sorted() }
        for (_, (e, list)) in recovered.sorted(by: { $0.key < $1.key }) {
            let group = e.logGroup!, stream = e.logStream!
            let what = e.missing == .group ? "log group \(group) did not exist" : e.missing == .stream ? "log stream \(stream) did not exist in \(group)" : "log group \(group) or its stream \(stream) did not exist"
            let (first, last) = span(list)
            findings.append(AgentFinding(
                code: "resource-created", severity: .info,
                message: "\(list.count) ResourceNotFoundException on \(group) / \(stream): the \(what), and the agent's own later lines show it created it and then published to the stream. The batch was retried and delivered. Nothing to fix (the agent's role may create groups and streams).",
                sources: files(list), logGroup: group, logStream: stream, count: list.count, first: first, last: last))
        }
        var byGroup: [String: [AgentEvent]] = [:]
        var byStream: [String: [AgentEvent]] = [:]
        var unsaid: [AgentEvent] = []
        for e in lost {
            switch e.missing {
            case .group: byGroup[e.logGroup ?? Self.unknownStream, default: []].append(e)
            case .stream: byStream[(e.logGroup ?? Self.unknownStream) + "\u{0}" + (e.logStream ?? Self.unknownStream), default: []].append(e)
            case nil: unsaid.append(e)
            }
        }
        for (group, list) in byGroup.sorted(by: { $0.key < $1.key }) {
            let named = group != Self.unknownStream
            let (first, last) = span(list)
            findings.append(AgentFinding(
                code: "missing-group", severity: .error,
                message: "\(list.count) ResourceNotFoundException for \(named ? "log group \(group)" : "a log group the agent did not name"): the group does not exist, so these events were not delivered. Create it (aws logs create-log-group --log-group-name \(named ? ShellQuote.word(group) : "NAME")) or let the agent create it (logs:CreateLogGroup in its role).",
                sources: files(list), logGroup: named ? group : nil, count: list.count, first: first, last: last))
        }
        for (_, list) in byStream.sorted(by: { $0.key < $1.key }) {
            let group = list[0].logGroup, stream = list[0].logStream
            let named = group != nil && stream != nil
            let (first, last) = span(list)
            findings.append(AgentFinding(
                code: "missing-stream", severity: .error,
                message: "\(list.count) ResourceNotFoundException for \(named ? "log stream \(stream!) in log group \(group!)" : "a log stream the agent did not name"): the stream does not exist (the group does) and the log shows no creation and publish after it, so these events were not delivered. Create it (aws logs create-log-stream --log-group-name \(group.map(ShellQuote.word) ?? "GROUP") --log-stream-name \(stream.map(ShellQuote.word) ?? "STREAM")) or let the agent create it (logs:CreateLogStream in its role).",
                sources: files(list), logGroup: named ? group : nil, logStream: named ? stream : nil, count: list.count, first: first, last: last))
        }
        if !unsaid.isEmpty {
            let (first, last) = span(unsaid)
            findings.append(AgentFinding(
                code: "missing-resource", severity: .error,
                message: "\(unsaid.count) ResourceNotFoundException that do not say whether the log group or the log stream is missing, and no creation and publish after them: these events were not delivered. Check that the group and stream exist, or let the agent create them (logs:CreateLogGroup and logs:CreateLogStream in its role).",
                sources: files(unsaid), count: unsaid.count, first: first, last: last))
        }
        return findings
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

    /// Config sources that share one group and stream by the shared-stream rule, each list non-empty.
    func sharedSourceGroups() -> [[LogSource]] {
        var byTarget: [String: [LogSource]] = [:]
        for s in sources { byTarget[s.logGroup + "\u{0}" + s.streamTemplate, default: []].append(s) }
        return byTarget.sorted(by: { $0.key < $1.key }).map(\.value).filter { list in
            guard list.count >= 2 else { return false }
            let perFile = Dictionary(grouping: list, by: \.configFile)
            return perFile.values.contains { $0.count >= 2 } || (perFile.count >= 2 && !list[0].isUniquePerHost)
        }
    }

    func sharedStreams() -> [AgentFinding] {
        var findings: [AgentFinding] = []
        for list in sharedSourceGroups() {
            let perFile = Dictionary(grouping: list, by: \.configFile)
            let withinOneHost = perFile.values.contains { $0.count >= 2 }
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
