import Dispatch

/// What the consumer of an ordered run gets, in exactly the order a single reader would produce it.
public enum OrderedEvent<Prepared> {
    /// A selected record, as `prepare` turned it.
    case record(Prepared)
    case malformed(MalformedLine)
    /// A message read before (the same SQS MessageId): counted once.
    case repeated(file: String, line: Int, id: String)
    case payloadProblem(file: String, line: Int, problem: String)
    case finished(FileStatistics)
}

/// What a reading thread hands on for one input event. Repeats and payload problems are decided later, by
/// the consumer, so that which copy of a message counts never depends on which thread read faster.
enum PendingEvent<Prepared> {
    /// `prepared` is nil for a record the selection (`--kind`, `--where`, time range) leaves out.
    case record(Prepared?, messageId: String?, bodyDigest: UInt64?, problems: [String], missingAttributes: [String], line: Int)
    case malformed(MalformedLine)
    case finished(FileStatistics)
}

extension PendingEvent: Sendable where Prepared: Sendable {}

/// The chunks of pending events of each input, handed from reading threads to the consumer in input order.
/// A thread reading the input the consumer is on never waits; threads reading ahead wait while `limit`
/// chunks are already buffered, so memory stays bounded however fast they read.
final class OrderedChunks<Prepared: Sendable>: @unchecked Sendable {
    private struct Slot {
        var chunks: [[PendingEvent<Prepared>]] = []
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
    func put(_ chunk: [PendingEvent<Prepared>], input index: Int, done: Bool) -> Bool {
        condition.withLock {
            while !stopped && index > current && buffered >= limit { condition.wait() }
            if stopped { return false }
            slots[index, default: Slot()].chunks.append(chunk)
            if done { slots[index]!.done = true }
            buffered += 1
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
            buffered -= slot.chunks.count
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

/// The consumer's side of a run: repeats, payload problems and missing attributes decided in input order,
/// the first few shown on stderr, the rest counted.
struct OrderedTally {
    var outcome = RunOutcome()
    var seenMessages = MessageIdBook()
    var payloadProblems = 0
    var repeats = 0
    var messageIdConflicts = 0
    var missingAttributes: [String: Int] = [:]
    var messagesMissingAttributes = 0

    mutating func take<Prepared>(_ event: PendingEvent<Prepared>, path: String, diagnostics: Diagnostics,
                                 _ consume: (OrderedEvent<Prepared>) -> Bool) -> Bool {
        switch event {
        case .record(let prepared, let messageId, let digest, let problems, let missing, let line):
            if let messageId {
                switch seenMessages.check(messageId, digest: digest, file: path, line: line) {
                case .first: break
                case .repeated:
                    repeats += 1
                    return consume(.repeated(file: path, line: line, id: messageId))
                case .conflict(let earlier):
                    messageIdConflicts += 1
                    if messageIdConflicts <= InputRun.reportedMalformedLines {
                        diagnostics.warning(InputRun.conflictMessage(file: path, line: line, id: messageId, earlier: earlier))
                    }
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
}

extension InputRun {
    /// Records in input order, each turned by `prepare` (which may run on other threads), with every
    /// malformed line, repeat, payload problem and finished input in between. With several inputs and
    /// `workers` above 1, inputs are read in parallel and the events reassembled in order, so the output is
    /// the same as one reader's; one input is read on one thread, inflating ahead on another. `weigh` gives
    /// the rough size of a prepared value, to keep what waits in memory small. `consume` returns false to
    /// stop reading (closed output).
    public func run<Prepared: Sendable>(
        workers requested: Int = Cores.available,
        prepare: @escaping @Sendable (FailureRecord) -> Prepared,
        weigh: @escaping @Sendable (Prepared) -> Int = { _ in 256 },
        _ consume: (OrderedEvent<Prepared>) -> Bool
    ) throws(UsageError) -> RunOutcome {
        let paths = try resolvedPaths()
        var tally = OrderedTally()
        let (items, problems) = InputWalker.expand(paths)
        for problem in problems {
            if problem.isNote {
                diagnostics.note(problem.description)
            } else {
                diagnostics.error(problem.description)
                tally.outcome.inputErrors += 1
            }
        }
        let workers = max(1, min(requested, items.count))
        var readOptions = options.read
        // One input: inflating ahead on a second core is the parallelism its order allows.
        readOptions.prefetch = workers == 1 && Cores.available > 1
        let progress = ProgressLine.start(enabled: options.progress && !options.quiet, totalFiles: items.count,
                                          totalBytes: InputWalker.totalBytes(items))
        diagnostics.progress = progress
        defer {
            progress?.finish()
            diagnostics.progress = nil
        }
        readOptions.progress = progress?.counters
        let options = self.options
        let pending: @Sendable (FailureRecord) -> PendingEvent<Prepared> = { record in
            .record(options.selects(record) ? prepare(record) : nil, messageId: record.messageId, bodyDigest: record.messageBodyDigest,
                    problems: FailureRecord.problems(record.valueProblems, payload: record.payload.problem),
                    missingAttributes: record.missingAttributes, line: record.line)
        }

        var stopped = false
        if workers == 1 {
            var reader = RecordReader(options: readOptions, seenMessages: nil)
            for item in items {
                let keepGoing = reader.read(item) { event in
                    switch event {
                    case .record(let record):
                        return tally.take(pending(record), path: item.displayPath, diagnostics: diagnostics, consume)
                    case .malformed(let m):
                        return tally.take(PendingEvent<Prepared>.malformed(m), path: item.displayPath, diagnostics: diagnostics, consume)
                    case .finished(let stats):
                        return tally.take(PendingEvent<Prepared>.finished(stats), path: item.displayPath, diagnostics: diagnostics, consume)
                    case .repeated, .conflict, .payloadProblem:
                        // Without a shared id set the reader reports none of these; the tally decides them.
                        return true
                    }
                }
                if !keepGoing {
                    stopped = true
                    break
                }
            }
        } else {
            stopped = readInParallel(items, workers: workers, readOptions: readOptions, pending: pending, weigh: weigh) { event, path in
                tally.take(event, path: path, diagnostics: diagnostics, consume)
            }
        }
        tally.outcome.stopped = stopped
        reportTail(malformed: tally.outcome.malformed, trailingJunk: tally.outcome.trailingJunk, payloadProblems: tally.payloadProblems, repeats: tally.repeats,
                   messageIdConflicts: tally.messageIdConflicts,
                   messagesMissingAttributes: tally.messagesMissingAttributes, missingAttributes: tally.missingAttributes)
        return tally.outcome
    }

    /// Reads `items` on `workers` threads, a whole input per thread, and hands their events to `take` on
    /// this thread in input order. Returns true if `take` stopped the run.
    private func readInParallel<Prepared: Sendable>(
        _ items: [InputItem], workers: Int, readOptions: ReadOptions,
        pending: @escaping @Sendable (FailureRecord) -> PendingEvent<Prepared>,
        weigh: @escaping @Sendable (Prepared) -> Int,
        take: (PendingEvent<Prepared>, String) -> Bool
    ) -> Bool {
        // Chunks of at most 256 records or 256 KiB, at most 4 waiting: a few MB in flight.
        let chunks = OrderedChunks<Prepared>(limit: 4)
        let nextInput = Lock()
        nonisolated(unsafe) var next = 0
        let group = DispatchGroup()
        for _ in 0..<workers {
            DispatchQueue.global().async(group: group) {
                var reader = RecordReader(options: readOptions, seenMessages: nil)
                while true {
                    let index: Int = nextInput.withLock {
                        defer { next += 1 }
                        return next
                    }
                    guard index < items.count else { return }
                    var chunk: [PendingEvent<Prepared>] = []
                    var weight = 0
                    var open = true
                    reader.read(items[index]) { event in
                        switch event {
                        case .record(let record):
                            let event = pending(record)
                            if case .record(let prepared?, _, _, _, _, _) = event { weight += weigh(prepared) }
                            chunk.append(event)
                        case .malformed(let m):
                            chunk.append(.malformed(m))
                            weight += 256
                        case .finished(let stats):
                            chunk.append(.finished(stats))
                        case .repeated, .conflict, .payloadProblem:
                            return true
                        }
                        if chunk.count >= 256 || weight >= 256 << 10 {
                            open = chunks.put(chunk, input: index, done: false)
                            chunk.removeAll(keepingCapacity: true)
                            weight = 0
                        }
                        return open
                    }
                    // The last chunk, even when empty, marks the input complete.
                    if !open || !chunks.put(chunk, input: index, done: true) { return }
                }
            }
        }
        var stopped = false
        consuming: for index in items.indices {
            while true {
                let (taken, done) = chunks.take(input: index)
                for chunk in taken {
                    for event in chunk {
                        if !take(event, items[index].displayPath) {
                            stopped = true
                            break consuming
                        }
                    }
                }
                if done { break }
            }
        }
        if stopped { chunks.stop() }
        group.wait()
        return stopped
    }
}
