import DeadLetterAWS
import DeadLetterBackfill
import DeadLetterBytes
import DeadLetterSupport
import Foundation

public enum SendFormat: String, CaseIterable, Sendable {
    case table, json
}

/// `deadletter send DIR`, as the executable hands it over.
public struct SendJobOptions: Sendable {
    public var path = ""
    public var format: SendFormat = .table
    public var dryRun = false
    /// `--quiet`: no notes or warnings on stderr.
    public var quiet = false
    /// `--stream`, `--event-bus`: instead of the manifest's.
    public var stream: String?
    public var eventBus: String?
    /// `--url`: OpenSearch, Splunk HEC, HTTP endpoint.
    public var url: String?
    /// `--token-file`: the HEC token or the HTTP endpoint access key, instead of the environment's.
    public var tokenFile: String?
    /// `--ack`: Splunk indexer acknowledgement; `--ack-timeout` seconds.
    public var ack = false
    public var ackTimeout: Double = 180
    /// `--sigv4 es|aoss`: sign OpenSearch calls with AWS credentials where the host does not say so.
    public var sigV4Service: String?
    public var send = SendOptions()
    public var aws = AWSOptions()
    public var environment = AWSEnvironment(variables: [:])
    public var trace: AWSTrace = .off
    /// The part of a split backfill being sent (its folder), named in the report.
    public var part: String?

    public init() {}
}

public enum SendJob {
    public static let schema = "deadletter.send/1"

    public static func run(_ options: SendJobOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        if options.quiet { diagnostics.quiet = true }
        // A backfill split into parts: each part is a backfill directory of its own, sent in turn with its
        // own journal. The worst outcome decides the exit status.
        if options.part == nil, let split = BackfillDirectory.parts(options.path) {
            if split.by == "stream" && options.stream != nil {
                throw UsageError("\(options.path) is split by stream: each part goes to its own stream, so --stream does not apply (send one part with: deadletter send \(options.path)/FOLDER --stream NAME)")
            }
            if split.parts.isEmpty {
                diagnostics.report(.note(.sendPlan, "\(options.path) is split into no parts: nothing to send"))
            }
            // Every part is tried, whatever an earlier one did; the worst outcome decides the exit status.
            var statuses: [ExitStatus] = []
            for part in split.parts {
                var one = options
                one.path = options.path + "/" + part
                one.part = part
                do {
                    statuses.append(try run(one, output: output, diagnostics: diagnostics))
                } catch {
                    diagnostics.report(.error(.usage, at: SourceLocation(file: one.path), error.message))
                    statuses.append(.usage)
                }
            }
            for worst in [ExitStatus.usage, .inputError, .undelivered] where statuses.contains(worst) { return worst }
            return .success
        }
        let directory: BackfillDirectory
        do { directory = try BackfillDirectory.read(options.path) } catch {
            diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: options.path), error.message))
            return .inputError
        }
        if directory.generation >= DeadLetters.maxGeneration {
            throw UsageError("\(options.path) is the dead letters of \(directory.generation) sends already; these items keep failing: read rejects.ndjson before sending them again")
        }
        let target: any SendTarget
        do { target = try makeTarget(directory, options) } catch {
            throw UsageError(error.message)
        }
        let journalPath = options.path + "/send-journal.ndjson"
        // A dry run writes nothing, not even a journal: it works on a directory that cannot be written. A send
        // locks the journal first and reads it then, so a run that ended meanwhile is in what it reads.
        var journal: SendJournal?
        if !options.dryRun {
            do { journal = try SendJournal.open(journalPath) } catch {
                diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: options.path), error.message))
                return .inputError
            }
        }
        let earlier = SendJournal.read(journalPath)
        var known = (delivered: 0, failed: 0)
        for file in directory.files {
            for i in 0..<file.itemCount {
                let id = file.itemID(i)
                if earlier.delivered.contains(id) { known.delivered += 1 } else if earlier.failed[id] != nil { known.failed += 1 }
            }
        }
        let pending = directory.itemCount - known.delivered - known.failed
        diagnostics.report(.note(.sendPlan, "\(HumanNumber.grouped(directory.files.count)) file\(directory.files.count == 1 ? "" : "s"), \(HumanNumber.grouped(directory.itemCount)) items to \(target.identity)"
            + (earlier.runs > 0 ? "; the journal of \(earlier.runs) earlier run\(earlier.runs == 1 ? "" : "s") says \(known.delivered) were taken and \(known.failed) given up" : "")))
        if options.dryRun {
            var totals = SendTotals()
            totals.items = directory.itemCount
            totals.alreadySent = known.delivered
            totals.failed = known.failed
            report(totals, target: target, directory: directory, deadLetters: nil, dryRun: true, pending: pending, options, output)
            return .success
        }
        guard let journal else { return .inputError }
        let engine = SendEngine(directory: directory, target: target, journal: journal, earlier: earlier, options: options.send,
                                trace: { options.trace($0) })
        let result: Result<SendEngine.Result, SendJournal.Failure> = blockingAwait { () async -> Result<SendEngine.Result, SendJournal.Failure> in
            do throws(SendJournal.Failure) { return .success(try await engine.run()) } catch { return .failure(error) }
        }
        let done: SendEngine.Result
        switch result {
        case .success(let value): done = value
        case .failure(let error):
            // Nothing is lost: what was not journaled as taken is sent again next time.
            diagnostics.report(.error(.outputFailed, "\(error.message); stopped (run send again: the journal keeps what was taken)"))
            return .inputError
        }
        var deadLetterPath: String?
        do { deadLetterPath = try DeadLetters.write(done.deadLetters, of: directory) } catch {
            diagnostics.report(.error(.outputFailed, "\(options.path)/send-failed: \(error.description); the journal keeps the failed items, run send again to write them"))
            return .inputError
        }
        report(done.totals, target: target, directory: directory, deadLetters: deadLetterPath, dryRun: false, pending: pending, options, output)
        if done.totals.possiblyDuplicated > 0 {
            diagnostics.report(.warning(.possiblyDelivered, "\(done.totals.possiblyDuplicated) items were sent again after a call whose answer was lost (a broken connection, a timeout, an acknowledgement that did not come, an earlier run that stopped mid-call, or dead letters marked mayHaveArrived): they may have arrived twice"))
        }
        return done.totals.failed > 0 ? .undelivered : .success
    }

    static func makeTarget(_ directory: BackfillDirectory, _ options: SendJobOptions) throws(AWSError) -> any SendTarget {
        func service(_ id: String) throws(AWSError) -> AWSJSONService {
            try AWSJSONService.open(service: id, connections: options.send.concurrency, options: options.aws, environment: options.environment,
                                    trace: options.trace, user: directory.target)
        }
        switch directory.target {
        case "firehose":
            guard let stream = options.stream ?? directory.stream else {
                throw AWSError(code: "Usage", message: "no delivery stream: the manifest names none; give --stream NAME")
            }
            return FirehoseSend(service: try service("firehose"), stream: stream)
        case "eventbridge":
            return EventBridgeSend(service: try service("events"), eventBus: options.eventBus)
        case "opensearch":
            return OpenSearchSend(service: try web(options, auth: try openSearchAuth(options)))
        case "splunk-hec":
            let token = try secret(options, variable: "DEADLETTER_HEC_TOKEN", what: "the HEC token")
            guard let token else {
                throw AWSError(code: "Usage", message: "no HEC token: set DEADLETTER_HEC_TOKEN or give --token-file FILE")
            }
            return SplunkHECSend(service: try web(options, auth: .splunk(token: token)),
                                 channel: options.ack ? UUID().uuidString.lowercased() : nil, ackTimeout: options.ackTimeout)
        case "http-endpoint":
            let key = try secret(options, variable: "DEADLETTER_HTTP_ACCESS_KEY", what: "the access key")
            return HTTPEndpointSend(service: try web(options, auth: key.map { .header(name: "X-Amz-Firehose-Access-Key", value: $0) } ?? .none))
        case "raw", "snowflake", "redshift":
            throw AWSError(code: "Usage", message: "\(directory.target) files go to no API: "
                + (directory.target == "redshift" ? "run the COPY statements in copy.sql" : directory.target == "snowflake"
                    ? "load them with Snowpipe or COPY INTO" : "feed them to your own pipeline"))
        default:
            throw AWSError(code: "Usage", message: "\(directory.target): not a target send knows (firehose, eventbridge, opensearch, splunk-hec, http-endpoint)")
        }
    }

    /// The `--url` of a target that has no AWS endpoint. User info is refused: it would sit in the process
    /// list and in shell history; credentials come from the environment or a file.
    static func targetURL(_ options: SendJobOptions) throws(AWSError) -> HTTPURL {
        guard let text = options.url else {
            throw AWSError(code: "Usage", message: "give --url: where the \(options.path) items go (https://HOST:PORT)")
        }
        if let rest = text.split(separator: "://", maxSplits: 1).last, rest.prefix(while: { $0 != "/" }).contains("@") {
            throw AWSError(code: "Usage", message: "--url must not hold credentials: use the environment variables or --token-file")
        }
        guard let url = HTTPURL(string: text) else {
            throw AWSError(code: "Usage", message: "--url '\(TerminalText.escape(text))': not an http(s)://HOST[:PORT][/PATH] URL")
        }
        return url
    }

    static func web(_ options: SendJobOptions, auth: WebAuth) throws(AWSError) -> WebService {
        let transport = AsyncHTTPTransport(connections: max(1, options.send.concurrency), connectTimeout: options.aws.connectTimeout,
                                           readTimeout: options.aws.readTimeout)
        return WebService(transport: transport, url: try targetURL(options), auth: auth, trace: options.trace, now: WallClock.millis)
    }

    /// A secret from `--token-file` or else the environment; nil when neither has one.
    static func secret(_ options: SendJobOptions, variable: String, what: String) throws(AWSError) -> String? {
        if let path = options.tokenFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AWSError(code: "Usage", message: "--token-file \(path): cannot be read")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw AWSError(code: "Usage", message: "--token-file \(path): empty; it should hold \(what)") }
            return text
        }
        guard let value = options.environment[variable], !value.isEmpty else { return nil }
        return value
    }

    /// Basic auth when DEADLETTER_OPENSEARCH_USER is set; SigV4 for an Amazon OpenSearch host or with
    /// `--sigv4`; otherwise none (a cluster without security, or one behind a proxy that adds it).
    static func openSearchAuth(_ options: SendJobOptions) throws(AWSError) -> WebAuth {
        if let user = options.environment["DEADLETTER_OPENSEARCH_USER"], !user.isEmpty {
            guard let password = options.environment["DEADLETTER_OPENSEARCH_PASSWORD"] else {
                throw AWSError(code: "Usage", message: "DEADLETTER_OPENSEARCH_USER is set but DEADLETTER_OPENSEARCH_PASSWORD is not")
            }
            return .basic(user: user, password: password)
        }
        let url = try targetURL(options)
        let labels = url.host.lowercased().split(separator: ".")
        let awsHost = labels.count >= 4 && labels.suffix(2) == ["amazonaws", "com"] && ["es", "aoss"].contains(labels[labels.count - 3])
        guard let service = options.sigV4Service ?? (awsHost ? String(labels[labels.count - 3]) : nil) else { return .none }
        let transport = AsyncHTTPTransport(connections: 1, connectTimeout: options.aws.connectTimeout, readTimeout: options.aws.readTimeout)
        let resolved = try AWSSetup.resolve(options: options.aws, environment: options.environment, transport: transport,
                                            trace: options.trace, now: WallClock.millis)
        guard let credentials = resolved.credentials else {
            throw AWSError(code: "InvalidConfiguration", message: "--no-sign-request: SigV4 for OpenSearch needs AWS credentials")
        }
        let region = options.aws.region == nil && awsHost ? String(labels[labels.count - 4]) : resolved.region ?? "us-east-1"
        return .sigV4(credentials: credentials, region: region, service: service)
    }

    static func report(_ t: SendTotals, target: any SendTarget, directory: BackfillDirectory, deadLetters: String?, dryRun: Bool,
                       pending: Int, _ options: SendJobOptions, _ sink: any TextSink) {
        BufferedOutput.writing(to: sink) { out in
            switch options.format {
            case .json:
                out.write("{\"schema\": \"\(schema)\", \"target\": \(JSONOutput.quote(directory.target)), \"dryRun\": \(dryRun), ")
                if let part = options.part { out.write("\"part\": \(JSONOutput.quote(part)), ") }
                out.write("\"totals\": {\"items\": \(t.items), \"sent\": \(t.sent), \"failed\": \(t.failed), \"alreadySent\": \(t.alreadySent), ")
                out.write("\"retried\": \(t.retried), \"possiblyDuplicated\": \(t.possiblyDuplicated), \"requests\": \(t.requests)}, ")
                out.write("\"sendFailed\": \(JSONOutput.quoteOrNull(deadLetters))}\n")
            case .table:
                if let part = options.part { out.write("\(TerminalText.escape(part)): ") }
                if dryRun {
                    let g: (Int) -> String = { HumanNumber.grouped($0) }
                    out.write("\(directory.target): \(g(t.items)) items: would send \(g(pending)), \(g(t.alreadySent)) already sent, \(g(t.failed)) given up earlier (dry run, nothing sent)\n")
                } else {
                    let g: (Int) -> String = { HumanNumber.grouped($0) }
                    out.write("\(directory.target): \(g(t.items)) items: \(g(t.sent)) sent, \(g(t.failed)) failed, \(g(t.alreadySent)) already sent; "
                        + "\(g(t.retried)) retried, \(g(t.possiblyDuplicated)) possibly duplicated\n")
                    if let deadLetters { out.write("failed items are in \(deadLetters) (rejects.ndjson says why); send them again with: deadletter send \(ShellQuote.word(deadLetters))\n") }
                }
            }
        }
    }
}
