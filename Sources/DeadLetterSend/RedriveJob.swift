import DeadLetterAWS
import DeadLetterBackfill
import DeadLetterBytes
import DeadLetterEngine
import DeadLetterInput
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSupport
import Foundation

/// `deadletter redrive sqs://QUEUE`, as the executable hands it over.
public struct RedriveOptions: Sendable {
    public var queue = ""
    /// `--where`, `--since`, `--until`, `--kind`, `--quiet`: which messages move.
    public var input = InputOptions()
    /// `--event-bus`: instead of the custom bus in each message's RULE_ARN (else the default bus).
    public var eventBus: String?
    /// `--source`: put the events under this source (AWS services' own `aws.*` sources cannot be put).
    public var source: String?
    /// `--max-messages`: redrive at most this many (the rest are not received).
    public var maxMessages: Int?
    public var dryRun = false
    public var format: SendFormat = .table
    /// Attempts and time per entry, backoff, as `send`.
    public var send = SendOptions()
    /// `--journal`: else a file per queue under the user's state directory.
    public var journal: String?
    public var allowReceiveCount = false
    /// Seconds the messages stay hidden while this run holds them; nil: from the queue's size.
    public var visibility: Int?
    public var wait = 1
    public var aws = AWSOptions()
    public var environment = AWSEnvironment(variables: [:])
    public var trace: AWSTrace = .off
    public var interrupts: InterruptCleanup?

    public init() {}
}

/// What a redrive did, message by message. `received = redriven + alreadyPut + failed + refused + left`
/// (the messages this run held), and `redriven + alreadyPut = deleted + notDeleted`.
public struct RedriveTotals: Sendable, Equatable {
    public var received = 0
    /// Put with PutEvents and accepted in this run.
    public var redriven = 0
    /// Accepted in an earlier run (the journal says so) and only deleted now.
    public var alreadyPut = 0
    /// Selected, but PutEvents kept refusing the entry: still in the queue.
    public var failed = 0
    /// Selected, but no event can be made of it (Scheduler messages, AWS-service sources, too large): still in the queue.
    public var refused = 0
    /// Left out by the filters: released untouched.
    public var left = 0
    public var deleted = 0
    /// Accepted, but the delete failed: in the queue again; the journal keeps it from being put twice.
    public var notDeleted = 0
    /// Put again after an earlier run stopped between putting and recording the answer: may be there twice.
    public var possiblyDuplicated = 0
    public var repeats = 0
    public var retried = 0
    /// In flight when the run ended (held by another reader, a run that was stopped, or a receive whose answer
    /// was lost): not redriven; they come back after their visibility timeout.
    public var hidden = 0
}

public enum RedriveJob {
    public static let schema = "deadletter.redrive/1"

    public static func run(_ options: RedriveOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        if options.input.quiet { diagnostics.quiet = true }
        guard let queue = SQSQueueName(options.queue) else {
            throw UsageError("\(options.queue): not a queue: write sqs://NAME or the queue's URL")
        }
        let sqs: SQSClient, events: AWSJSONService
        do {
            sqs = try SQSClient.open(options: options.aws, environment: options.environment, trace: options.trace)
            events = try AWSJSONService.open(service: "events", connections: 8, options: options.aws, environment: options.environment,
                                             trace: options.trace, user: "PutEvents")
        } catch {
            diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: queue.display), error.message))
            return .inputError
        }
        // The bus is in each entry already (--event-bus or RULE_ARN's, as the eventbridge backfill target writes it).
        let job = Redrive(queue: queue, sqs: sqs, target: EventBridgeSend(service: events, eventBus: nil), options: options,
                          diagnostics: diagnostics)
        let (totals, failure) = blockingAwait { () async -> (RedriveTotals?, AWSError?) in await job.run() }
        // What was done before an error is reported too: some messages may be deleted already.
        if let totals { report(totals, options: options, queue: queue, output: output) }
        if let totals, totals.possiblyDuplicated > 0 {
            diagnostics.report(.warning(.possiblyDelivered, "\(totals.possiblyDuplicated) events were put again after a put whose answer was lost (in this run, or an earlier one that stopped): they may be on the bus twice"))
        }
        if let failure {
            diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: queue.display), failure.message))
            return .inputError
        }
        guard let totals else { return .inputError }
        if options.dryRun { return .success }
        return totals.failed + totals.refused + totals.notDeleted + totals.hidden > 0 ? .undelivered : .success
    }

    /// Where a queue's journal lives by default: `$XDG_STATE_HOME/deadletter/redrive/` (else
    /// `~/.local/state/...`), one file per queue, keyed by the queue's region, account and name, not by how its URL was written (`sqs://NAME` and the
    /// URL typed by hand must find one journal).
    static func defaultJournal(for url: String, name: String, environment: AWSEnvironment) -> String {
        let base = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        let parsed = HTTPURL(string: url)
        let parts = parsed?.path.split(separator: "/").map(String.init) ?? []
        let host = parsed?.host.lowercased() ?? ""
        let region = host.hasPrefix("sqs.") ? String(host.dropFirst(4).prefix { $0 != "." }) : host
        let key = "\(region)/\(parts.first ?? "")/\(parts.last ?? name)"
        let digest = Array(key.utf8).withUnsafeBufferPointer { Digest.sha256Hex($0) }.prefix(12)
        let safe = String(name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || "-_".unicodeScalars.contains($0) ? Character($0) : "_" })
        return base + "/deadletter/redrive/\(safe)-\(digest).ndjson"
    }

    static func report(_ t: RedriveTotals, options: RedriveOptions, queue: SQSQueueName, output: any TextSink) {
        BufferedOutput.writing(to: output) { out in
            let g: (Int) -> String = { HumanNumber.grouped($0) }
            switch options.format {
            case .json:
                out.write("{\"schema\": \"\(schema)\", \"queue\": \(JSONOutput.quote(queue.display)), \"dryRun\": \(options.dryRun), ")
                out.write("\"totals\": {\"received\": \(t.received), \"redriven\": \(t.redriven), \"alreadyPut\": \(t.alreadyPut), ")
                out.write("\"failed\": \(t.failed), \"refused\": \(t.refused), \"left\": \(t.left), \"deleted\": \(t.deleted), ")
                out.write("\"notDeleted\": \(t.notDeleted), \"hidden\": \(t.hidden), \"possiblyDuplicated\": \(t.possiblyDuplicated), \"repeats\": \(t.repeats), \"retried\": \(t.retried)}}\n")
            case .table:
                if options.dryRun {
                    out.write("\(queue.display): \(g(t.received)) messages: would redrive \(g(t.redriven)), \(g(t.alreadyPut)) put already (would delete), "
                        + "\(g(t.refused)) cannot be redriven, \(g(t.left)) left out by the filters (dry run: nothing put or deleted, all visible again)\n")
                } else {
                    out.write("\(queue.display): \(g(t.received)) messages: \(g(t.redriven)) redriven, \(g(t.alreadyPut)) put earlier, \(g(t.deleted)) deleted; "
                        + "\(g(t.failed)) failed, \(g(t.refused)) cannot be redriven, \(g(t.left)) left out, \(g(t.notDeleted)) not deleted "
                        + "(all still in the queue, visible)" + (t.hidden > 0 ? ", \(g(t.hidden)) hidden in flight" : "")
                        + "; \(g(t.retried)) retried, \(g(t.possiblyDuplicated)) possibly duplicated\n")
                }
            }
        }
    }
}

/// One redrive: receive ten messages at a time (hidden meanwhile), read them as records, put the selected
/// ones' events and delete each message whose entry PutEvents accepted; everything else is made visible
/// again at the end, also on an error or Ctrl-C. The journal (as `send`'s, keyed by MessageId) records each
/// PutEvents before it goes and its answer after, so a run stopped between the put and the delete never loses
/// a message (it is still in the queue) and its re-run deletes what was accepted without putting it again;
/// only messages whose put was out when the run stopped are put again, counted as possibly duplicated.
struct Redrive: Sendable {
    let queue: SQSQueueName
    let sqs: SQSClient
    let target: EventBridgeSend
    let options: RedriveOptions
    let diagnostics: Diagnostics

    /// A message received and what becomes of it.
    struct Held: Sendable {
        var message: SQSMessage
        var entry: [UInt8]?
        var decided = false
    }

    /// The totals (nil when nothing was received) and the error that stopped the run, if one did.
    func run() async -> (RedriveTotals?, AWSError?) {
        let queueState: SQSQueueState
        do throws(AWSError) {
            queueState = try await SQSQueueState.open(queue, client: sqs, allowReceiveCount: options.allowReceiveCount,
                                                      visibility: options.visibility, verb: "redrive")
        } catch {
            return (nil, error)
        }
        let (url, approximate, visibility) = (queueState.url, queueState.approximate, queueState.visibility)
        let journalPath = options.journal ?? RedriveJob.defaultJournal(for: url, name: queue.name, environment: options.environment)
        // Locked before it is read: a run that ended meanwhile is in what this one reads.
        var journal: SendJournal?
        if !options.dryRun {
            do {
                try FileManager.default.createDirectory(atPath: (journalPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                journal = try SendJournal.open(journalPath)
            } catch let failure as SendJournal.Failure {
                return (nil, AWSError(code: "Journal", message: failure.message))
            } catch {
                return (nil, AWSError(code: "Journal", message: "\(journalPath): \(error)"))
            }
        }
        let earlier = SendJournal.read(journalPath)
        do { try journal?.start(run: earlier.runs + 1, at: WallClock.millis()) } catch { return (nil, AWSError(code: "Journal", message: error.message)) }
        diagnostics.report(.note(.sendPlan, "\(queue.display): about \(HumanNumber.grouped(approximate)) messages; "
            + (options.dryRun ? "dry run: nothing is put or deleted" : "events go to \(target.identity); journal \(journalPath)")
            + "; messages are hidden for \(visibility) s while held"))

        var drain = SQSDrain(client: sqs, queue: queueState, wait: options.wait)
        let receipts = drain.receipts
        let cleanup = options.interrupts?.add { receipts.releaseBlocking(client: sqs, url: url) }
        defer { if let cleanup { options.interrupts?.remove(cleanup) } }
        var state = RunState(earlier: earlier, run: earlier.runs + 1)
        var failure: AWSError?
        do throws(AWSError) {
            while options.maxMessages.map({ state.totals.received < $0 }) ?? true,
                  let (fresh, repeated) = try await drain.next(max: options.maxMessages.map { min(10, $0 - state.totals.received) } ?? 10) {
                state.totals.repeats += repeated.count
                // A message put in this run, delivered again by SQS: deleted again, not put again.
                let again = repeated.map(\.messageId).filter { state.putHere.contains($0) }
                if !again.isEmpty && !options.dryRun { try await delete(again, url: url, receipts: receipts, state: &state, counted: false) }
                guard !fresh.isEmpty else { continue }
                state.totals.received += fresh.count
                try await handle(fresh, url: url, journal: journal, receipts: receipts, state: &state)
            }
        } catch {
            failure = error
        }
        let released = await drain.release()
        if released.failed > 0 {
            diagnostics.report(.warning(.unreadableInput, at: SourceLocation(file: queue.display), released.describe(visibility: visibility)))
        }
        if let failure {
            return (state.totals, AWSError(code: failure.code, message: failure.message + "; the messages held and not deleted were made visible again: "
                + released.describe(visibility: visibility)))
        }
        // Messages still hidden were not seen: another reader holds them, or a stopped run (or a receive
        // whose answer was lost) does until their visibility timeout.
        if let after = try? await sqs.attributes(url), let hidden = Int(after["ApproximateNumberOfMessagesNotVisible"] ?? ""), hidden > 0 {
            state.totals.hidden = hidden
            diagnostics.report(.warning(.unreadableInput, at: SourceLocation(file: queue.display),
                                        "about \(HumanNumber.grouped(hidden)) messages are in flight (hidden) and were not redriven: another reader holds them, "
                                            + "or a run that was stopped does until their visibility timeout; run redrive again after it"))
        }
        return (state.totals, nil)
    }

    /// What one run knows as it goes.
    struct RunState {
        let earlier: SendJournal.State
        let run: Int
        var totals = RedriveTotals()
        var request = 0
        /// Put and accepted in this run (deleted, or to be).
        var putHere: Set<String> = []
        /// Whose put's answer was lost in this run: accepted later, they may be on the bus twice.
        var uncertain: Set<String> = []
    }

    /// One receive's messages: decided, put (in calls within PutEvents' limits), deleted.
    private func handle(_ messages: [SQSMessage], url: String, journal: SendJournal?, receipts: Receipts,
                        state: inout RunState) async throws(AWSError) {
        let decisions = decide(messages)
        var toPut: [(id: String, entry: [UInt8], size: Int)] = []
        var toDelete: [String] = []
        for message in messages {
            let id = message.messageId
            switch decisions[id] ?? .malformed("the message could not be read as an EventBridge dead letter (see the warnings above)") {
            case .left:
                state.totals.left += 1
            case .refused(let reason), .malformed(let reason):
                state.totals.refused += 1
                diagnostics.report(.warning(.rejectedRecords, at: SourceLocation(file: queue.display), "message \(id): \(reason); left in the queue"))
            case .put(let entry, let size):
                if state.earlier.delivered.contains(id) {
                    state.totals.alreadyPut += 1
                    toDelete.append(id)
                } else {
                    toPut.append((id, entry, size))
                }
            }
        }
        if options.dryRun {
            state.totals.redriven += toPut.count
            return
        }
        for call in Self.calls(toPut) {
            let delivered = try await put(call, journal: journal, state: &state)
            toDelete += delivered
        }
        try await delete(toDelete, url: url, receipts: receipts, state: &state, counted: true)
    }

    /// Entries grouped into PutEvents calls: at most 10 and 256 KiB (as EventBridge sizes entries) a call.
    static func calls(_ entries: [(id: String, entry: [UInt8], size: Int)]) -> [[(id: String, entry: [UInt8], size: Int)]] {
        var calls: [[(id: String, entry: [UInt8], size: Int)]] = []
        var current: [(id: String, entry: [UInt8], size: Int)] = []
        var bytes = 0
        for entry in entries {
            if !current.isEmpty && (current.count == 10 || bytes + entry.size > EventBridgeTarget.maxEntryBytes) {
                calls.append(current)
                current = []
                bytes = 0
            }
            current.append(entry)
            bytes += entry.size
        }
        if !current.isEmpty { calls.append(current) }
        return calls
    }

    /// Puts one call's entries, retrying only those that failed with a retryable error, as `send` does;
    /// returns the ids accepted.
    private func put(_ entries: [(id: String, entry: [UInt8], size: Int)], journal: SendJournal?,
                     state: inout RunState) async throws(AWSError) -> [String] {
        var pending = entries
        var accepted: [String] = []
        var attempts: [String: Int] = [:]
        var round = 0
        let started = options.send.now()
        while !pending.isEmpty {
            if round > 0 {
                let delay = options.send.backoff(round: round)
                if options.send.now() - started + delay > options.send.maxTime {
                    for item in pending {
                        state.totals.failed += 1
                        diagnostics.report(.warning(.rejectedRecords, at: SourceLocation(file: queue.display), "message \(item.id): still failing when --max-time ran out; left in the queue"))
                    }
                    break
                }
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                state.totals.retried += pending.count
            }
            round += 1
            state.request += 1
            let name = "\(state.run)-\(state.request)"
            let ids = pending.map(\.id)
            try journaled { () throws(SendJournal.Failure) in try journal?.sending(name, ids) }
            let outcomes = await target.send(pending.map(\.entry))
            var delivered: [String] = [], notTaken: [String] = [], uncertain: [String] = []
            var next: [(id: String, entry: [UInt8], size: Int)] = []
            for (item, outcome) in zip(pending, outcomes) {
                attempts[item.id, default: 0] += 1
                if outcome.mayHaveArrived { state.uncertain.insert(item.id) }
                switch outcome {
                case .delivered:
                    delivered.append(item.id)
                case .retry where attempts[item.id, default: 0] < options.send.maxAttempts:
                    if outcome.mayHaveArrived { uncertain.append(item.id) } else { notTaken.append(item.id) }
                    next.append(item)
                default:
                    if outcome.mayHaveArrived { uncertain.append(item.id) } else { notTaken.append(item.id) }
                    state.totals.failed += 1
                    diagnostics.report(.warning(.rejectedRecords, at: SourceLocation(file: queue.display),
                                                "message \(item.id): PutEvents refused its entry: \(outcome.code ?? "") \(outcome.message); left in the queue"
                                                    + (state.uncertain.contains(item.id) ? " (an earlier put of it may have arrived)" : "")))
                }
            }
            try journaled { () throws(SendJournal.Failure) in try journal?.answered(name, delivered: delivered, notTaken: notTaken, uncertain: uncertain) }
            for id in delivered {
                state.totals.redriven += 1
                state.putHere.insert(id)
                if state.earlier.mayHaveArrived.contains(id) || state.uncertain.contains(id) { state.totals.possiblyDuplicated += 1 }
            }
            accepted += delivered
            pending = next
        }
        return accepted
    }

    private func journaled(_ write: () throws(SendJournal.Failure) -> Void) throws(AWSError) {
        do { try write() } catch { throw AWSError(code: "Journal", message: "\(error.message); stopped before anything else was put") }
    }

    /// Deletes accepted messages, retrying entries that fail; those that still fail stay (the journal knows
    /// they were put, so a re-run deletes them without putting them again).
    /// `counted`: deletes of this run's messages (a message SQS delivered again after its delete is not).
    private func delete(_ ids: [String], url: String, receipts: Receipts, state: inout RunState, counted: Bool) async throws(AWSError) {
        var pending = ids
        var attempt = 0
        var lastReason: [String: String] = [:]
        while !pending.isEmpty && attempt < 3 {
            attempt += 1
            var failed: [String] = []
            for start in stride(from: 0, to: pending.count, by: 10) {
                let chunk = Array(pending[start..<min(start + 10, pending.count)])
                let entries = chunk.compactMap { id in receipts.handle(id).map { (id: id, handle: $0) } }
                let results: SQSEntryResults
                do throws(AWSError) { results = try await sqs.delete(url, entries) } catch {
                    for id in chunk { lastReason[id] = error.message }
                    failed += chunk
                    continue
                }
                for id in chunk {
                    if case .some(.none) = results[id] {
                        receipts.forget(id)
                        if counted { state.totals.deleted += 1 }
                    } else {
                        lastReason[id] = results[id]??.message ?? "not answered"
                        failed.append(id)
                    }
                }
            }
            pending = failed
            if !pending.isEmpty { try? await Task.sleep(nanoseconds: UInt64(0.2e9 * Double(attempt))) }
        }
        for id in pending where counted {
            state.totals.notDeleted += 1
            diagnostics.report(.warning(.rejectedRecords, at: SourceLocation(file: queue.display),
                                        "message \(id): its event was put but the message could not be deleted (\(lastReason[id] ?? "")); "
                                            + "it is in the queue again, and the journal keeps a re-run from putting it twice"))
        }
    }

    enum Decision: Sendable {
        case put([UInt8], size: Int)
        case left
        case refused(String)
        case malformed(String)
    }

    /// Each message read as the EventBridge dead-letter reader reads a saved dump, through the same engine
    /// and filters; what the `eventbridge` backfill target makes of the selected ones is what is put.
    private func decide(_ messages: [SQSMessage]) -> [String: Decision] {
        var bytes = Array("{\"Messages\":[".utf8)
        for (i, message) in messages.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += message.json
        }
        bytes += Array("]}\n".utf8)
        var listing = InputListing()
        listing.units = [InputUnit(name: "sqs://\(queue.name)", size: Int64(bytes.count), origin: ReceivedBatch(bytes: bytes))]
        let encoder = EventBridgeTarget(eventBus: options.eventBus, sourceOverride: options.source)
        // The engine reads every message; the filters are applied here, so a message that reads as no record
        // is told apart from one the filters leave out.
        var input = options.input
        input.filter = RecordFilter()
        input.kind = nil
        input.progress = false
        let selection = options.input
        var needs = encoder.payloadNeeds
        needs.paths = RecordField.payloadPaths(input.filter.fields)
        needs.keep = input.filter.fields.contains(.payload)
        input.read.payloadNeeds = needs
        input.read.keepOtherFields = false
        var decisions: [String: Decision] = [:]
        let run = InputRun(options: input, diagnostics: diagnostics)
        _ = run.run(listing, workers: 1, prepare: { record -> (String?, Decision) in
            guard selection.selects(record) else { return (record.messageId, .left) }
            if record.scheduler != nil {
                return (record.messageId, .refused("an EventBridge Scheduler dead letter carries the target's input, not an event: nothing can be put on a bus"))
            }
            switch encoder.items(for: record) {
            case .success(let items): return (record.messageId, items.first.map { .put($0.bytes, size: $0.size) } ?? .refused("no entry"))
            case .failure(let rejection): return (record.messageId, .refused("\(rejection.code): \(rejection.reason)"))
            }
        }) { event in
            switch event {
            case .record(let (id, decision)):
                if let id { decisions[id] = decision }
            default:
                break
            }
            return true
        }
        return decisions
    }
}

/// A receive's messages, as the engine reads them: `{"Messages":[...]}`, the form of a saved dump.
struct ReceivedBatch: InputOrigin {
    let bytes: [UInt8]
    var identity: InputIdentity { InputIdentity(scheme: "sqs-batch", key: String(bytes.count) + ":" + String(bytes.hashValue)) }
    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
        let source = MemorySource(bytes)
        return OpenedInput(bytes: source, bytesRead: { Int64(source.offset) })
    }
}
