import DeadLetterBytes
import DeadLetterInput
import DeadLetterSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `sqs://` arguments are read.
public struct SQSInputSettings: Sendable {
    /// Makes the client on first use: a run over local files never reads AWS settings.
    public var makeClient: @Sendable () throws(AWSError) -> SQSClient
    /// `--allow-receive-count`: read a queue that has a RedrivePolicy of its own.
    public var allowReceiveCount = false
    /// Seconds each long poll waits for a message (an empty answer then means the queue shows none).
    public var wait = 1
    /// Seconds the messages stay hidden while the queue is read; nil: from the queue's size.
    public var visibility: Int?
    /// Where Ctrl-C finds the messages to make visible again before the process exits.
    public var interrupts: InterruptCleanup?
    public var now: @Sendable () -> Int64 = WallClock.millis

    public init(makeClient: @escaping @Sendable () throws(AWSError) -> SQSClient) {
        self.makeClient = makeClient
    }
}

/// `sqs://QUEUE` and queue URLs: an EventBridge dead-letter queue read without harm. Every message is
/// received once (repeats of a MessageId, which SQS may deliver, are counted once), kept hidden while the
/// queue is read so none is received twice, and made visible again as soon as the queue is drained (also on
/// an error or Ctrl-C). What was received is spooled to an unlinked temporary file in the form
/// `aws sqs receive-message` prints, so the records read exactly as a saved dump of the same messages would.
/// A queue with a RedrivePolicy of its own is refused: each receive raises ApproximateReceiveCount, and past
/// its maxReceiveCount SQS would move messages onward.
public struct SQSQueues: InputSource {
    private let settings: SQSInputSettings
    private var client: SQSClient?
    private var clientFailure: AWSError?
    private var seen: Set<String> = []

    public init(_ settings: SQSInputSettings) {
        self.settings = settings
    }

    /// Listing a queue receives every message: N shards listing it would each drain it.
    public var canBeSharded: Bool { false }

    public func claims(_ argument: String) -> Bool {
        argument.hasPrefix("sqs://") || SQSQueueName.isQueueURL(argument)
    }

    public mutating func list(_ argument: String, into listing: inout InputListing) {
        guard let queue = SQSQueueName(argument) else {
            listing.problems.append(InputProblem(path: argument, reason: "not a queue: write sqs://NAME or the queue's URL"))
            return
        }
        if client == nil && clientFailure == nil {
            do throws(AWSError) { client = try settings.makeClient() } catch { clientFailure = error }
        }
        guard let client else {
            listing.problems.append(InputProblem(path: argument, reason: clientFailure?.message ?? "cannot reach SQS"))
            return
        }
        let name = "sqs://\(queue.name)"
        guard seen.insert(name).inserted else {
            listing.problems.append(InputProblem(path: name, reason: "named by another argument too; read once", isNote: true))
            return
        }
        let settings = settings
        let result: Result<SQSRead, AWSError> = blockingAwait { () async -> Result<SQSRead, AWSError> in
            do throws(AWSError) { return .success(try await SQSRead.drain(queue, client: client, settings: settings)) } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error):
            listing.problems.append(InputProblem(path: name, reason: error.message))
        case .success(let read):
            for note in read.notes { listing.problems.append(InputProblem(path: name, reason: note, isNote: true)) }
            for problem in read.problems { listing.problems.append(InputProblem(path: name, reason: problem)) }
            if let spool = read.spool {
                listing.units.append(InputUnit(name: name, size: spool.size, origin: SpooledQueue(spool: spool, name: name)))
            }
        }
    }
}

/// A queue about to be read or redriven: where it is, what it holds, how long its messages stay hidden while
/// held. A queue with a RedrivePolicy of its own is refused here, before anything is received: each receive
/// raises ApproximateReceiveCount, and past its maxReceiveCount SQS would move messages onward.
package struct SQSQueueState: Sendable {
    package let url: String
    /// ApproximateNumberOfMessages (visible) and ApproximateNumberOfMessagesNotVisible (in flight).
    package let approximate: Int
    package let inFlight: Int
    package let visibility: Int

    /// `visibility`: the seconds asked for, else 5 minutes and one more second per 25 messages (at most 12 h).
    /// `verb` says what `--allow-receive-count` would let through ("read", "redrive").
    package static func open(_ queue: SQSQueueName, client: SQSClient, allowReceiveCount: Bool, visibility: Int?,
                             verb: String) async throws(AWSError) -> SQSQueueState {
        let url = try await client.queueURL(queue)
        let attributes = try await client.attributes(url)
        if let policy = attributes["RedrivePolicy"], !allowReceiveCount {
            throw AWSError(code: "RedrivePolicy", message: "this queue has a RedrivePolicy of its own (\(policy)): every receive raises "
                + "ApproximateReceiveCount, and past maxReceiveCount SQS moves messages onward; nothing was received. Give "
                + "--allow-receive-count to \(verb) it anyway")
        }
        let approximate = Int(attributes["ApproximateNumberOfMessages"] ?? "") ?? 0
        return SQSQueueState(url: url, approximate: approximate, inFlight: Int(attributes["ApproximateNumberOfMessagesNotVisible"] ?? "") ?? 0,
                             visibility: visibility ?? min(43_200, 300 + approximate / 25))
    }
}

/// Receives a queue's messages ten at a time until it is drained, keeping each message's latest receipt handle
/// in `receipts`: a long poll that finds nothing means nothing is visible, and the count read is checked against
/// the queue's approximate count (three empty polls end it whatever the count).
package struct SQSDrain {
    package let client: SQSClient
    package let queue: SQSQueueState
    package let wait: Int
    package let receipts = Receipts()
    private var empties = 0

    package init(client: SQSClient, queue: SQSQueueState, wait: Int) {
        (self.client, self.queue, self.wait) = (client, queue, wait)
    }

    /// The next receive's messages new to this run, and those SQS delivered again; nil once drained.
    package mutating func next(max: Int = 10) async throws(AWSError) -> (fresh: [SQSMessage], again: [SQSMessage])? {
        while true {
            let batch = try await client.receive(queue.url, max: max, visibility: queue.visibility, wait: wait)
            if batch.isEmpty {
                empties += 1
                if receipts.count >= queue.approximate || empties >= 3 { return nil }
                continue
            }
            empties = 0
            var fresh: [SQSMessage] = [], again: [SQSMessage] = []
            for message in batch {
                if receipts.add(message) { fresh.append(message) } else { again.append(message) }
            }
            return (fresh, again)
        }
    }

    /// Makes every message received and not deleted visible again (once).
    package func release() async -> Receipts.Released { await receipts.release(client: client, url: queue.url) }
}

/// One queue read: its messages spooled, and what the user must be told.
struct SQSRead: Sendable {
    var spool: Spool?
    var notes: [String] = []
    var problems: [String] = []

    /// Receives every message of the queue once, then makes them all visible again.
    static func drain(_ queue: SQSQueueName, client: SQSClient, settings: SQSInputSettings) async throws(AWSError) -> SQSRead {
        let state = try await SQSQueueState.open(queue, client: client, allowReceiveCount: settings.allowReceiveCount,
                                                 visibility: settings.visibility, verb: "read")
        let visibility = state.visibility
        var read = SQSRead()
        var summary = "about \(HumanNumber.grouped(state.approximate)) messages in the queue"
        if state.inFlight > 0 { summary += " and \(HumanNumber.grouped(state.inFlight)) in flight (not visible: not read)" }
        var drain = SQSDrain(client: client, queue: state, wait: settings.wait)
        let receipts = drain.receipts
        let cleanup = settings.interrupts?.add { receipts.releaseBlocking(client: client, url: state.url) }
        defer { if let cleanup { settings.interrupts?.remove(cleanup) } }
        let spool: Spool
        do { spool = try Spool() } catch { throw AWSError(code: "Spool", message: "cannot make a temporary file to hold the messages: \(error)") }
        var repeats = 0
        var oldest: Int64?
        do throws(AWSError) {
            while let (fresh, again) = try await drain.next() {
                repeats += again.count
                guard !fresh.isEmpty else { continue }
                for message in fresh {
                    if let sent = message.sentTimestamp, UTCTime.supported.contains(sent) { oldest = min(oldest ?? sent, sent) }
                }
                var line = Array("{\"Messages\":[".utf8)
                for (i, message) in fresh.enumerated() {
                    if i > 0 { line.append(UInt8(ascii: ",")) }
                    line += message.json
                }
                line += Array("]}\n".utf8)
                try spool.write(line)
            }
        } catch {
            let released = await drain.release()
            throw AWSError(code: error.code, message: error.message + "; " + released.describe(visibility: visibility))
        }
        let released = await drain.release()
        let count = receipts.count
        var note = "\(HumanNumber.grouped(count)) message\(count == 1 ? "" : "s") read (\(summary))"
        if let oldest {
            note += ", the oldest sent \(UTCTime.rfc3339(oldest)) (\(Self.age(settings.now() - oldest)) ago)"
        }
        note += "; nothing deleted, " + released.describe(visibility: visibility)
        read.notes.append(note)
        if repeats > 0 {
            read.notes.append("\(HumanNumber.grouped(repeats)) messages were received again while the queue was read (SQS delivers at least once) and counted once")
        }
        if released.failed > 0 { read.problems.append(released.describe(visibility: visibility)) }
        read.spool = count > 0 ? spool : nil
        return read
    }

    static func age(_ millis: Int64) -> String {
        let seconds = max(0, millis / 1000)
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) d"
    }
}

/// The receipt handles of the messages received, to make them visible again (or delete them).
// @unchecked Sendable: `handles` and `order` are touched only under `lock`.
package final class Receipts: @unchecked Sendable {
    private let lock = ConditionLock()
    private var handles: [String: String] = [:]
    private var order: [String] = []
    /// Every MessageId received, deleted ones too: SQS may deliver a deleted message again.
    private var seen: Set<String> = []
    private enum Release { case notYet, running, done }
    private var release = Release.notYet

    package init() {}

    /// Keeps the latest handle; false when the message was received before.
    package func add(_ message: SQSMessage) -> Bool {
        lock.withLock {
            let fresh = seen.insert(message.messageId).inserted
            if fresh { order.append(message.messageId) }
            handles[message.messageId] = message.receiptHandle
            return fresh
        }
    }

    package var count: Int { lock.withLock { order.count } }

    package func handle(_ id: String) -> String? { lock.withLock { handles[id] } }

    /// A message deleted: nothing to make visible again.
    package func forget(_ id: String) { lock.withLock { _ = handles.removeValue(forKey: id) } }

    package struct Released: Sendable {
        package var done = 0
        package var failed = 0
        var reason = ""

        package func describe(visibility: Int) -> String {
            if failed == 0 { return "\(HumanNumber.grouped(done)) made visible again" }
            return "\(HumanNumber.grouped(failed)) messages could not be made visible again (\(reason)); they will be after "
                + "the visibility timeout of \(visibility) s"
        }
    }

    /// Makes every message visible again (once), ten to a call, eight calls at a time.
    package func release(client: SQSClient, url: String) async -> Released {
        let entries: [(id: String, handle: String)] = lock.withLock {
            guard release == .notYet else { return [] }
            release = .running
            return order.compactMap { id in handles[id].map { (id, $0) } }
        }
        defer {
            lock.withLock {
                release = .done
                lock.broadcast()
            }
        }
        let batches = stride(from: 0, to: entries.count, by: 10).map { Array(entries[$0..<min($0 + 10, entries.count)]) }
        return await withTaskGroup(of: Released.self) { group in
            var next = 0
            var total = Released()
            func add() {
                guard next < batches.count else { return }
                let batch = batches[next]
                next += 1
                group.addTask {
                    do throws(AWSError) {
                        let results = try await client.changeVisibility(url, batch, to: 0)
                        let failures = results.values.compactMap { $0 }
                        return Released(done: batch.count - failures.count, failed: failures.count, reason: failures.first?.message ?? "")
                    } catch {
                        return Released(done: 0, failed: batch.count, reason: error.message)
                    }
                }
            }
            for _ in 0..<8 { add() }
            while let part = await group.next() {
                total.done += part.done
                total.failed += part.failed
                if total.reason.isEmpty { total.reason = part.reason }
                add()
            }
            return total
        }
    }

    /// For Ctrl-C: on the signal's own thread, never a task's.
    /// Ctrl-C during a release already under way waits for it rather than cutting it short.
    package func releaseBlocking(client: SQSClient, url: String) {
        _ = blockingAwait { () async -> Released in await self.release(client: client, url: url) }
        lock.withLock { while release != .done { lock.wait() } }
    }
}

/// An unlinked temporary file: written while the queue is read, read by the engine, gone when closed.
final class Spool: @unchecked Sendable {
    // @unchecked: written by one task before it is read; the descriptor is only read after.
    let fd: Int32
    private(set) var size: Int64 = 0

    struct Failure: Error, CustomStringConvertible { var description: String }

    init() throws(Failure) {
        var template = Array((NSTemporaryDirectory() + "/deadletter-sqs-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws(AWSError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AWSError(code: "Spool", message: "cannot write the temporary file holding the messages: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        size += Int64(bytes.count)
    }
}

/// A spooled queue, opened: the file from its start.
struct SpooledQueue: InputOrigin {
    let spool: Spool
    let name: String

    var identity: InputIdentity { InputIdentity(scheme: "sqs", key: name) }

    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
        let fd = dup(spool.fd)
        guard fd >= 0, lseek(fd, 0, SEEK_SET) == 0 else { throw .cannotOpen(String(cString: strerror(errno))) }
        let source = FileDescriptorSource(fd: fd, closeOnDeinit: true)
        source.progress = progress
        return OpenedInput(bytes: source, bytesRead: { source.bytesRead })
    }
}
