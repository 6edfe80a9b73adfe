import DeadLetterInput
import DeadLetterSupport
/// Output formats of `agent`.
public enum AgentFormat: String, CaseIterable, Sendable {
    case table, json
}

public struct AgentOptions: Sendable {
    public var paths: [String] = []
    public var format: AgentFormat = .table
    public var stdinIsTerminal = false
    /// Seconds after an agent start in which token errors are expected.
    public var restartWindowSeconds = 120
    /// Sources for arguments that are not local paths (`s3://`), set by the executable.
    public var remoteSources: RemoteSources = { [] }

    public init() {}
}

/// `deadletter agent`: CloudWatch Logs agent logs and configs, read for the causes of sequence-token
/// errors, missing groups and dropped data.
public enum AgentJob {
    public static let schema = "deadletter.agent/1"
    static let detectLines = 40
    static let maxConfigBytes = 16 << 20

    public static func run(_ options: AgentOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        var paths = options.paths
        if paths.isEmpty {
            if options.stdinIsTerminal { throw UsageError("no input: give agent logs or configs, or pipe one on stdin") }
            paths = ["-"]
        }
        let listing = InputSources.list(paths, remote: options.remoteSources)
        let analysis = analyze(listing, restartWindowSeconds: options.restartWindowSeconds, diagnostics: diagnostics)
        BufferedOutput.writing(to: output) { output in
            switch options.format {
            case .json: output.write(AgentReport.json(inputs: analysis.inputs, events: analysis.events, findings: analysis.findings))
            case .table: output.write(AgentReport.table(inputs: analysis.inputs, events: analysis.events, findings: analysis.findings))
            }
        }
        return diagnostics.exitStatus
    }

    /// What the agent inputs listed say: each input's summary, the events read and the findings. Problems go
    /// to `diagnostics`. `report` uses this for the agent logs and configs among its inputs.
    public static func analyze(_ listing: InputListing, restartWindowSeconds: Int = 120, diagnostics: Diagnostics) -> AgentAnalysis {
        for p in listing.problems where !p.isNote {
            diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: p.path), p.reason))
        }
        var analyzer = AgentAnalyzer()
        analyzer.restartWindow = Int64(restartWindowSeconds) * 1000
        var inputs: [AgentInputSummary] = []
        var unresolved: [Int] = []   // indices of events whose stream comes from a thread
        var unsplit: [Int] = []      // indices of unified-agent events whose `GROUP/STREAM` is split once all groups are known
        var threadStreams: [String: (String, String)] = [:]
        for unit in listing.units {
            var summary = AgentInputSummary(file: unit.name, form: .unknown)
            let otherInput = read(unit, into: &summary, analyzer: &analyzer, threadStreams: &threadStreams, unresolved: &unresolved, unsplit: &unsplit)
            if let error = summary.error {
                diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: unit.name), error))
            }
            if let otherInput {
                diagnostics.report(.warning(.unknownAgentInput, at: SourceLocation(file: unit.name), otherInput))
            } else if summary.form == .unknown && summary.lines > 0 {
                diagnostics.report(.warning(.unknownAgentInput, at: SourceLocation(file: unit.name),
                                            "not an agent log or config this tool knows; its \(summary.lines) lines are counted as unknown"))
            }
            inputs.append(summary)
        }
        // awslogs names the stream on other lines of the same thread.
        for i in unresolved {
            let e = analyzer.events[i]
            if let key = e.thread.map({ threadKey(e.file, e.pid, $0) }), let (group, stream) = threadStreams[key] {
                analyzer.events[i].logGroup = group
                analyzer.events[i].logStream = stream
            }
        }
        // Unified agent targets are `GROUP/STREAM`: split once all configured groups are known.
        for i in unsplit {
            if let target = analyzer.events[i].logGroup {
                let (group, stream) = analyzer.split(target)
                analyzer.events[i].logGroup = group
                analyzer.events[i].logStream = stream
            }
        }
        return AgentAnalysis(inputs: inputs, events: analyzer.events, findings: analyzer.findings())
    }

    static func threadKey(_ file: String, _ pid: String?, _ thread: String) -> String { file + "\u{0}" + (pid ?? "") + "\u{0}" + thread }

    /// Reads one input; returns what it is when it is another tool's input (a sentence for a warning).
    static func read(_ unit: InputUnit, into summary: inout AgentInputSummary, analyzer: inout AgentAnalyzer,
                     threadStreams: inout [String: (String, String)], unresolved: inout [Int], unsplit: inout [Int]) -> String? {
        let decoded: ByteSource
        do {
            decoded = try DecodedStream.open(unit.open().bytes).0
        } catch {
            summary.error = error.description
            return nil
        }
        let reader = LineReader(source: decoded)
        // Look at the first lines to decide what this is; keep them to process afterwards.
        var head: [[UInt8]] = []
        while head.filter({ !$0.allSatisfy(isSpace) }).count < detectLines, let line = reader.next() { head.append(line) }
        // A byte order mark (Windows editors write one) is not part of the text.
        if let first = head.first, first.starts(with: utf8BOM) { head[0].removeFirst(utf8BOM.count) }
        let firstText = head.first { !$0.allSatisfy(isSpace) }
        if let first = firstText?.first(where: { !isSpace($0) }), first == UInt8(ascii: "{") {
            var bytes: [UInt8] = []
            for line in head { bytes += line; bytes.append(0x0A) }
            while bytes.count <= maxConfigBytes, let line = reader.next() { bytes += line; bytes.append(0x0A) }
            summary.lines = bytes.filter { $0 == 0x0A }.count
            switch AgentJSONConfig.check(bytes) {
            case .otherInput(let what):
                // Counted as unknown like any input that is not an agent's, its lines all read.
                var lineStart = 0
                for (i, b) in bytes.enumerated() where b == 0x0A {
                    if bytes[lineStart..<i].allSatisfy(isSpace) { summary.blankLines += 1 } else { summary.unknownLines += 1 }
                    lineStart = i + 1
                }
                while let line = reader.next() {
                    summary.lines += 1
                    if line.allSatisfy(isSpace) { summary.blankLines += 1 } else { summary.unknownLines += 1 }
                }
                if let e = reader.error { summary.error = e.description }
                return what
            case .invalid(let reason):
                summary.form = .agentJSONConfig
                summary.error = reason
            case .config:
                summary.form = .agentJSONConfig
                do {
                    let found = try AgentJSONConfig.sources(bytes, file: unit.name)
                    summary.sources = found.count
                    analyzer.sources += found
                } catch {
                    summary.error = AgentJSONConfig.describe(error)
                }
            }
            if let e = reader.error { summary.error = e.description }
            return nil
        }
        let form: AgentInputForm
        if head.contains(where: { AwslogsLog.parse($0) != nil }) {
            form = .awslogsLog
        } else if head.contains(where: { UnifiedAgentLog.parse($0) != nil }) {
            form = .unifiedAgentLog
        } else if AwslogsConf.looksLikeConf(head.map { String(decoding: $0, as: UTF8.self) }) {
            form = .awslogsConf
        } else {
            form = .unknown
        }
        summary.form = form
        var lineNumber = 0
        var confLines: [String] = []
        var pending: (message: AgentLogMessage, line: Int, text: String)?

        func finishMessage() {
            guard let p = pending else { return }
            pending = nil
            let m = p.message
            var event = AgentEvent(kind: .start, time: m.time, file: unit.name, line: p.line, thread: m.thread, pid: m.pid, form: form)
            if form == .awslogsLog {
                if AgentMessageClassifier.isAwslogsStart(p.text, thread: m.thread) { analyzer.events.append(event) }
                if let (group, stream) = AgentMessageClassifier.awslogsStream(in: p.text), let thread = m.thread {
                    threadStreams[threadKey(unit.name, m.pid, thread)] = (group, stream)
                }
            } else if AgentMessageClassifier.isUnifiedStart(p.text) {
                event.thread = nil
                analyzer.events.append(event)
                return
            }
            let exception = AgentMessageClassifier.exception(in: p.text)
            let dropped = AgentMessageClassifier.isDrop(p.text)
            if exception == nil && !dropped {
                // Creating/published lines name their group or stream; awslogs' thread may name the rest.
                guard let d = AgentMessageClassifier.delivery(in: p.text) else { return }
                event.kind = d.kind
                event.logGroup = d.group
                event.logStream = d.stream
                if form == .unifiedAgentLog { event.thread = nil } else { unresolved.append(analyzer.events.count) }
                analyzer.events.append(event)
                return
            }
            let missing = exception == nil ? nil : AgentMessageClassifier.missingResource(in: p.text)
            // An ARN names group and stream exactly; else the unified agent's `GROUP/STREAM` (split later) or
            // the awslogs thread's stream.
            let arn = AgentMessageClassifier.arnTarget(in: p.text)
            if form == .unifiedAgentLog { event.thread = nil }
            if let (group, stream) = arn {
                event.logGroup = group
                event.logStream = stream
            } else if form == .unifiedAgentLog {
                event.logGroup = AgentMessageClassifier.target(in: p.text)
            }
            // One message can name an error and say its data is lost ("Non aws error ...: RequestError: ...
            // logs will be missing"): it counts as both.
            for kind in [exception.map(AgentEventKind.exception), dropped ? .dropped : nil].compactMap({ $0 }) {
                event.kind = kind
                if case .exception = kind { event.missing = missing } else { event.missing = nil }
                if arn == nil, form == .unifiedAgentLog { unsplit.append(analyzer.events.count) }
                if arn == nil, form == .awslogsLog { unresolved.append(analyzer.events.count) }
                analyzer.events.append(event)
            }
        }

        func process(_ line: [UInt8]) {
            lineNumber += 1
            summary.lines += 1
            if line.allSatisfy(isSpace) {
                summary.blankLines += 1
                return
            }
            switch form {
            case .awslogsLog, .unifiedAgentLog:
                let parsed = form == .awslogsLog ? AwslogsLog.parse(line) : UnifiedAgentLog.parse(line)
                if let message = parsed {
                    finishMessage()
                    summary.messages += 1
                    pending = (message, lineNumber, message.text)
                } else if pending != nil {
                    // A traceback or a wrapped message: part of the message above, not a message of its own.
                    summary.continuationLines += 1
                    if pending!.text.utf8.count < 16_384 { pending!.text += "\n" + String(decoding: line, as: UTF8.self) }
                } else {
                    summary.unknownLines += 1
                }
            case .awslogsConf:
                confLines.append(String(decoding: line, as: UTF8.self))
            default:
                summary.unknownLines += 1
            }
        }
        for line in head { process(line) }
        while let line = reader.next() { process(line) }
        finishMessage()
        if form == .awslogsConf {
            let found = AwslogsConf.sources(confLines, file: unit.name)
            summary.sources = found.count
            analyzer.sources += found
        }
        if let e = reader.error { summary.error = e.description }
        return nil
    }

    static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
}

/// The agent inputs read: each one's summary, the events and the findings.
public struct AgentAnalysis: Sendable {
    public var inputs: [AgentInputSummary]
    public var events: [AgentEvent]
    public var findings: [AgentFinding]
}
