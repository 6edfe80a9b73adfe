/// What the consumer of a run gets, in exactly the order a single reader would produce it.
public enum OrderedEvent<Prepared> {
    /// A selected record, as `prepare` turned it.
    case record(Prepared)
    case malformed(MalformedLine)
    /// A message read before (the same SQS MessageId): counted once.
    case repeated(file: String, line: Int, id: String)
    /// A MessageId read before with another body (`earlier` is its `file:line`): the record follows, kept.
    case conflict(file: String, line: Int, id: String, earlier: String)
    case payloadProblem(file: String, line: Int, problem: String)
    case finished(FileStatistics)
}

/// What a reading thread hands on for one input event. Repeats and payload problems are decided later, by
/// the consumer, so that which copy of a message counts never depends on which thread read faster.
enum PendingEvent<Prepared> {
    /// `prepared` is nil for a record the selection (`--kind`, `--where`, time range) leaves out, or that a
    /// reading thread already folded (then only its problems and missing attributes are left to report).
    case record(Prepared?, messageId: String?, bodyDigest: UInt64?, problems: [String], missingAttributes: [String], line: Int)
    case malformed(MalformedLine)
    case finished(FileStatistics)

    /// A record as the consumer must see it; `prepared` is what it turned into, if selected.
    static func decide(_ record: FailureRecord, prepared: Prepared?) -> PendingEvent {
        .record(prepared, messageId: record.messageId, bodyDigest: record.messageBodyDigest,
                problems: FailureRecord.problems(record.valueProblems, payload: record.payload.problem),
                missingAttributes: record.missingAttributes, line: record.line)
    }
}

extension PendingEvent: Sendable where Prepared: Sendable {}

/// The chunks of pending events of each input, handed from reading threads to the consumer in input order.
/// A thread reading the input the consumer is on never waits; threads reading ahead wait while `limit`
/// (the sum of the chunks' weights, roughly bytes) is already buffered, so memory stays bounded however
/// fast they read, and inputs that leave little to hand on (a fold's) are not held back at all.
final class OrderedChunks<Prepared: Sendable>: @unchecked Sendable {
    // @unchecked: every stored property is touched only under `condition`.
    private struct Slot {
        var chunks: [[PendingEvent<Prepared>]] = []
        var weight = 0
        var done = false
    }

    private let condition = ConditionLock()
    private var slots: [Int: Slot] = [:]
    private var current = 0
    private var buffered = 0
    private var stopped = false
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Hands on a chunk of input `index`; `done` marks its last. False once the consumer has stopped.
    func put(_ chunk: [PendingEvent<Prepared>], weight: Int, input index: Int, done: Bool) -> Bool {
        condition.withLock {
            while !stopped && index > current && buffered >= limit { condition.wait() }
            if stopped { return false }
            slots[index, default: Slot()].chunks.append(chunk)
            slots[index]!.weight += weight
            if done { slots[index]!.done = true }
            buffered += weight
            condition.broadcast()
            return true
        }
    }

    /// The chunks of input `index` available now (waiting for at least one) and whether that input is
    /// complete. Moves the consumer on to the next input once this one is complete and taken.
    func take(input index: Int) -> (chunks: [[PendingEvent<Prepared>]], done: Bool) {
        condition.withLock {
            while slots[index]?.chunks.isEmpty ?? true && !(slots[index]?.done ?? false) { condition.wait() }
            let slot = slots.removeValue(forKey: index) ?? Slot()
            buffered -= slot.weight
            if slot.done {
                current = index + 1
            } else {
                slots[index] = Slot()
            }
            condition.broadcast()
            return (slot.chunks, slot.done)
        }
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }
}

/// The one place where a run's events are settled, in input order, for every command: which copy of an SQS
/// message counts (the first read, in input order), payload problems, missing attributes, and the first
/// few of each shown on stderr with the rest counted.
struct OrderedTally {
    var outcome = RunOutcome()
    var seenMessages = MessageIdBook()
    var payloadProblems = 0
    var missingAttributes: [String: Int] = [:]
    var messagesMissingAttributes = 0
    let diagnostics: Diagnostics

    init(diagnostics: Diagnostics) { self.diagnostics = diagnostics }

    /// What could not be listed, before anything is read.
    mutating func report(_ problems: [InputProblem]) {
        for problem in problems {
            if problem.isNote {
                diagnostics.note(problem.description)
            } else {
                diagnostics.error(problem.description)
                outcome.inputErrors += 1
            }
        }
    }

    mutating func take<Prepared>(_ event: PendingEvent<Prepared>, path: String,
                                 _ consume: (OrderedEvent<Prepared>) -> Bool) -> Bool {
        switch event {
        case .record(let prepared, let messageId, let digest, let problems, let missing, let line):
            if let messageId {
                switch seenMessages.check(messageId, digest: digest, file: path, line: line) {
                case .first: break
                case .repeated:
                    outcome.repeats += 1
                    return consume(.repeated(file: path, line: line, id: messageId))
                case .conflict(let earlier):
                    outcome.messageIdConflicts += 1
                    if outcome.messageIdConflicts <= InputRun.reportedMalformedLines {
                        diagnostics.warning(InputRun.conflictMessage(file: path, line: line, id: messageId, earlier: earlier))
                    }
                    if !consume(.conflict(file: path, line: line, id: messageId, earlier: earlier)) { return false }
                }
            }
            for problem in problems {
                payloadProblems += 1
                if payloadProblems <= InputRun.reportedMalformedLines { diagnostics.warning("\(path):\(line): \(problem)") }
                if !consume(.payloadProblem(file: path, line: line, problem: problem)) { return false }
            }
            if !missing.isEmpty {
                messagesMissingAttributes += 1
                for name in missing { missingAttributes[name, default: 0] += 1 }
            }
            guard let prepared else { return true }
            return consume(.record(prepared))
        case .malformed(let m):
            if m.trailing { outcome.trailingJunk += 1 } else { outcome.malformed += 1 }
            if outcome.malformed + outcome.trailingJunk <= InputRun.reportedMalformedLines {
                diagnostics.warning("\(m.file):\(m.line): \(m.message)")
            }
            return consume(.malformed(m))
        case .finished(let stats):
            if let error = stats.error {
                outcome.inputErrors += 1
                diagnostics.error("\(stats.path): \(error)")
            }
            return consume(.finished(stats))
        }
    }

    /// The closing counts of a run, after the first few lines were shown one by one.
    func reportTail() {
        let malformed = outcome.malformed, trailingJunk = outcome.trailingJunk
        if malformed + trailingJunk > InputRun.reportedMalformedLines {
            let hidden = malformed + trailingJunk - InputRun.reportedMalformedLines
            let all = trailingJunk == 0 ? "\(malformed) in all" : "\(malformed) malformed and \(trailingJunk) with trailing junk in all"
            diagnostics.warning("\(hidden) more malformed lines not shown (\(all); --format json lists samples)")
        }
        if outcome.repeats > 0 {
            diagnostics.note("\(outcome.repeats) SQS messages were read more than once (same MessageId) and counted once")
        }
        if outcome.messageIdConflicts > 0 {
            diagnostics.warning("\(outcome.messageIdConflicts) SQS messages reuse a MessageId read before with a different body; each was kept as a record of its own")
        }
        if messagesMissingAttributes > 0 {
            let names = missingAttributes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            diagnostics.warning("\(messagesMissingAttributes) SQS messages lack EventBridge DLQ attributes (missing: \(names)); read as eventbridge-dlq without them")
        }
        if payloadProblems > InputRun.reportedMalformedLines {
            diagnostics.warning("\(payloadProblems - InputRun.reportedMalformedLines) more payload problems not shown")
        }
    }
}

/// Reads units on threads of its own, each unit whole on one thread, and hands what they produce to the
/// calling thread in input order. On each reading thread, `step` turns a record into what must wait for its
/// turn (nil: nothing; the thread dealt with it, folding it into its `Local`), and `finished` sees each
/// unit's statistics. With one reader everything happens on the calling thread.
struct RecordEngine {
    /// Chunks close at 256 events or 256 KiB of weight; 1 MiB may wait ahead of the consumer.
    static let chunkEvents = 256
    static let chunkWeight = 256 << 10
    static let aheadWeight = 1 << 20
    /// What an event costs to keep beside its prepared value, and a malformed line (its text), roughly.
    static let eventWeight = 32
    static let malformedWeight = 256

    let units: [InputUnit]
    let workers: Int
    let read: ReadOptions

    func drive<Prepared: Sendable, Local: Sendable>(
        makeLocal: @escaping @Sendable () -> Local,
        step: @escaping @Sendable (inout Local, FailureRecord) -> PendingEvent<Prepared>?,
        finished: @escaping @Sendable (inout Local, FileStatistics) -> Void,
        weigh: @escaping @Sendable (Prepared) -> Int,
        take: (PendingEvent<Prepared>, String) -> Bool
    ) -> (stopped: Bool, locals: [Local]) {
        if workers <= 1 {
            var local = makeLocal()
            var reader = RecordReader(options: read)
            for unit in units {
                let keepGoing = reader.read(unit) { event in
                    switch event {
                    case .record(let record):
                        guard let pending = step(&local, record) else { return true }
                        return take(pending, unit.name)
                    case .malformed(let m):
                        return take(.malformed(m), unit.name)
                    case .finished(let stats):
                        finished(&local, stats)
                        return take(.finished(stats), unit.name)
                    }
                }
                if !keepGoing { return (true, [local]) }
            }
            return (false, [local])
        }

        let chunks = OrderedChunks<Prepared>(limit: Self.aheadWeight)
        let lock = Lock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var locals: [Local] = []
        let units = self.units, read = self.read
        let threads = (0..<workers).map { _ in
            OwnedThread {
                var local = makeLocal()
                var reader = RecordReader(options: read)
                reading: while true {
                    let index: Int = lock.withLock {
                        defer { next += 1 }
                        return next
                    }
                    guard index < units.count else { break }
                    var chunk: [PendingEvent<Prepared>] = []
                    var weight = 0
                    var open = true
                    reader.read(units[index]) { event in
                        switch event {
                        case .record(let record):
                            guard let pending = step(&local, record) else { return true }
                            if case .record(let prepared?, _, _, _, _, _) = pending { weight += weigh(prepared) }
                            chunk.append(pending)
                        case .malformed(let m):
                            chunk.append(.malformed(m))
                            weight += Self.malformedWeight
                        case .finished(let stats):
                            finished(&local, stats)
                            chunk.append(.finished(stats))
                        }
                        weight += Self.eventWeight
                        if chunk.count >= Self.chunkEvents || weight >= Self.chunkWeight {
                            open = chunks.put(chunk, weight: weight, input: index, done: false)
                            chunk.removeAll(keepingCapacity: true)
                            weight = 0
                        }
                        return open
                    }
                    // The last chunk, even when empty, marks the input complete.
                    if !open || !chunks.put(chunk, weight: weight, input: index, done: true) { break reading }
                }
                lock.withLock { locals.append(local) }
            }
        }
        var stopped = false
        consuming: for index in units.indices {
            while true {
                let (taken, done) = chunks.take(input: index)
                for chunk in taken {
                    for event in chunk where !take(event, units[index].name) {
                        stopped = true
                        break consuming
                    }
                }
                if done { break }
            }
        }
        if stopped { chunks.stop() }
        for thread in threads { thread.join() }
        return (stopped, lock.withLock { locals })
    }
}
