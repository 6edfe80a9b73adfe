import DeadLetterAWS
import DeadLetterBackfill
import DeadLetterBytes
import DeadLetterSupport

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
    public var send = SendOptions()
    public var aws = AWSOptions()
    public var environment = AWSEnvironment(variables: [:])
    public var trace: AWSTrace = .off

    public init() {}
}

public enum SendJob {
    public static let schema = "deadletter.send/1"

    public static func run(_ options: SendJobOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        if options.quiet { diagnostics.quiet = true }
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
        let (journal, earlier): (SendJournal, SendJournal.State)
        do { (journal, earlier) = try SendJournal.open(options.path + "/send-journal.ndjson") } catch {
            diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: options.path), error.message))
            return .inputError
        }
        var known = (delivered: 0, failed: 0)
        for file in directory.files {
            for i in 0..<file.itemCount {
                let id = file.itemID(i)
                if earlier.delivered.contains(id) { known.delivered += 1 } else if earlier.failed[id] != nil { known.failed += 1 }
            }
        }
        let pending = directory.itemCount - known.delivered - known.failed
        diagnostics.report(.note(.sendPlan, "\(directory.files.count) file\(directory.files.count == 1 ? "" : "s"), \(directory.itemCount) items to \(target.identity)"
            + (earlier.runs > 0 ? "; the journal of \(earlier.runs) earlier run\(earlier.runs == 1 ? "" : "s") says \(known.delivered) were taken and \(known.failed) given up" : "")))
        if options.dryRun {
            var totals = SendTotals()
            totals.items = directory.itemCount
            totals.alreadySent = known.delivered
            totals.failed = known.failed
            report(totals, target: target, directory: directory, deadLetters: nil, dryRun: true, pending: pending, options, output)
            return .success
        }
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
        let new = Set(done.deadLetters.keys).subtracting(earlier.failed.keys)
        do { deadLetterPath = try DeadLetters.write(done.deadLetters, new: new, of: directory) } catch {
            diagnostics.report(.error(.outputFailed, "\(options.path)/send-failed: \(error.description); the journal keeps the failed items, run send again to write them"))
            return .inputError
        }
        report(done.totals, target: target, directory: directory, deadLetters: deadLetterPath, dryRun: false, pending: pending, options, output)
        if done.totals.possiblyDuplicated > 0 {
            diagnostics.report(.warning(.possiblyDelivered, "\(done.totals.possiblyDuplicated) items were sent again after a call whose answer was lost (a broken connection, a timeout, or an earlier run that stopped mid-call): they may have arrived twice"))
        }
        return done.totals.failed > 0 ? .undelivered : .success
    }

    static func makeTarget(_ directory: BackfillDirectory, _ options: SendJobOptions) throws(AWSError) -> any SendTarget {
        func service(_ id: String) throws(AWSError) -> AWSJSONService {
            let connection = try AWSConnection.open(service: id, connections: options.send.concurrency, options: options.aws,
                                                    environment: options.environment, trace: options.trace)
            guard let credentials = connection.credentials else {
                throw AWSError(code: "InvalidConfiguration", message: "--no-sign-request: \(directory.target) needs signed requests")
            }
            return AWSJSONService(transport: connection.transport, credentials: credentials, region: connection.region, service: id,
                                  endpoint: connection.endpoint, trace: options.trace, now: WallClock.millis)
        }
        switch directory.target {
        case "firehose":
            guard let stream = options.stream ?? directory.stream else {
                throw AWSError(code: "Usage", message: "no delivery stream: the manifest names none; give --stream NAME")
            }
            return FirehoseSend(service: try service("firehose"), stream: stream)
        case "eventbridge":
            return EventBridgeSend(service: try service("events"))
        case "raw", "snowflake", "redshift":
            throw AWSError(code: "Usage", message: "\(directory.target) files go to no API: "
                + (directory.target == "redshift" ? "run the COPY statements in copy.sql" : directory.target == "snowflake"
                    ? "load them with Snowpipe or COPY INTO" : "feed them to your own pipeline"))
        default:
            throw AWSError(code: "Usage", message: "sending to \(directory.target) is not supported yet (firehose and eventbridge are)")
        }
    }

    static func report(_ t: SendTotals, target: any SendTarget, directory: BackfillDirectory, deadLetters: String?, dryRun: Bool,
                       pending: Int, _ options: SendJobOptions, _ sink: any TextSink) {
        BufferedOutput.writing(to: sink) { out in
            switch options.format {
            case .json:
                out.write("{\"schema\": \"\(schema)\", \"target\": \(JSONOutput.quote(directory.target)), \"dryRun\": \(dryRun), ")
                out.write("\"totals\": {\"items\": \(t.items), \"sent\": \(t.sent), \"failed\": \(t.failed), \"alreadySent\": \(t.alreadySent), ")
                out.write("\"retried\": \(t.retried), \"possiblyDuplicated\": \(t.possiblyDuplicated), \"requests\": \(t.requests)}, ")
                out.write("\"sendFailed\": \(JSONOutput.quoteOrNull(deadLetters))}\n")
            case .table:
                if dryRun {
                    out.write("\(directory.target): \(t.items) items: would send \(pending), \(t.alreadySent) already sent, \(t.failed) given up earlier (dry run, nothing sent)\n")
                } else {
                    out.write("\(directory.target): \(t.items) items: \(t.sent) sent, \(t.failed) failed, \(t.alreadySent) already sent; "
                        + "\(t.retried) retried, \(t.possiblyDuplicated) possibly duplicated\n")
                    if let deadLetters { out.write("failed items are in \(deadLetters) (rejects.ndjson says why); send them again with: deadletter send \(ShellQuote.word(deadLetters))\n") }
                }
            }
        }
    }
}
