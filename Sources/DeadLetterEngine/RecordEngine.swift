import DeadLetterInput
import DeadLetterRecords
import DeadLetterSupport
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
    @inline(__always)
    static func decide(_ record: FailureRecord, prepared: Prepared?) -> PendingEvent {
        .record(prepared, messageId: record.messageId, bodyDigest: record.messageBodyDigest,
                problems: FailureRecord.problems(record.valueProblems, payload: record.payload.problem),
                missingAttributes: record.missingAttributes, line: record.line)
    }
}

extension PendingEvent: Sendable where Prepared: Sendable {}

/// A consumer's prepared value as the engine holds it (see `InputRun.run`).
@usableFromInline
class PreparedBox: @unchecked Sendable {
    // @unchecked: no state here; the one subclass holds an immutable Sendable value.
    @usableFromInline init() {}

    @usableFromInline
    final class Of<Value: Sendable>: PreparedBox, @unchecked Sendable {
        @usableFromInline let value: Value
        @usableFromInline init(_ value: Value) {
            self.value = value
            super.init()
        }
    }
}

extension OrderedEvent where Prepared == PreparedBox {
    /// The event with the consumer's own value; the box is known to hold a `Value`, as `run` made it.
    @inlinable
    func unboxed<Value: Sendable>(as: Value.Type) -> OrderedEvent<Value> {
        switch self {
        case .record(let box): .record(unsafeDowncast(box, to: PreparedBox.Of<Value>.self).value)
        case .malformed(let m): .malformed(m)
        case .repeated(let file, let line, let id): .repeated(file: file, line: line, id: id)
        case .conflict(let file, let line, let id, let earlier): .conflict(file: file, line: line, id: id, earlier: earlier)
        case .payloadProblem(let file, let line, let problem): .payloadProblem(file: file, line: line, problem: problem)
        case .finished(let stats): .finished(stats)
        }
    }
}

/// The chunks of pending events of each input, handed from reading threads to the consumer in input order.
/// Threads reading ahead wait while `limit` (the sum of the chunks' weights, roughly bytes) is already
/// buffered; the thread reading the input the consumer is on waits only while that input alone has `limit`
/// buffered, which the consumer is draining, so it can never wait on inputs behind it. Memory stays bounded
/// however fast they read or however slowly the consumer writes, and inputs that leave little to hand on
/// (a fold's) are not held back at all.
final class OrderedChunks<Prepared: Sendable>: @unchecked Sendable {
    // @unchecked: every stored property is touched only under `condition`.
    struct Slot {
        var chunks: [[PendingEvent<Prepared>]] = []
        var weight = 0
        var done = false
    }

    let condition = ConditionLock()
    var slots: [Int: Slot] = [:]
    var current = 0
    var buffered = 0
    var stopped = false
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Hands on a chunk of input `index`; `done` marks its last. False once the consumer has stopped.
    func put(_ chunk: [PendingEvent<Prepared>], weight: Int, input index: Int, done: Bool) -> Bool {
        condition.withLock {
            while !stopped && weightBounding(index) >= limit { condition.wait() }
            if stopped { return false }
            slots[index, default: Slot()].chunks.append(chunk)
            slots[index]!.weight += weight
            if done { slots[index]!.done = true }
            buffered += weight
            condition.broadcast()
            return true
        }
    }

    /// What a thread putting to input `index` may not take over `limit`: everything buffered when it reads
    /// ahead; only its own input's chunks when the consumer is on that input (it waits on no other).
    private func weightBounding(_ index: Int) -> Int {
        index > current ? buffered : slots[index]?.weight ?? 0
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

/// What the reading threads do with each record and each finished unit. A record either waits for its turn
/// (handed to the consumer, prepared if selected) or, in a fold, is folded where it was read when its order
/// cannot matter. A protocol rather than a struct of closures so the engine is specialised for each and the
/// per-record step costs no more than the code in it (the closures cost summarize 5% more instructions).
protocol RecordHandling: Sendable {
    associatedtype Prepared: Sendable
    associatedtype Local: Sendable
    func makeLocal() -> Local
    /// True when the record was dealt with on the reading thread and nothing about it is left to hand on.
    func settledHere(_ record: FailureRecord, _ local: inout Local) -> Bool
    /// What waits for its turn.
    func pending(_ record: FailureRecord) -> PendingEvent<Prepared>
    func finished(_ stats: FileStatistics, _ local: inout Local)
    /// The rough size of a prepared value, to bound what waits in memory.
    func weigh(_ prepared: Prepared) -> Int
}

/// `InputRun.run`: every record waits for its turn, prepared on the reading thread if selected.
struct OrderedHandling<Prepared: Sendable>: RecordHandling {
    let options: InputOptions
    let prepare: @Sendable (FailureRecord) -> Prepared
    let weight: @Sendable (Prepared) -> Int

    func makeLocal() {}
    func settledHere(_ record: FailureRecord, _ local: inout Void) -> Bool { false }
    @inline(__always)
    func pending(_ record: FailureRecord) -> PendingEvent<Prepared> {
        .decide(record, prepared: options.selects(record) ? prepare(record) : nil)
    }
    func finished(_ stats: FileStatistics, _ local: inout Void) {}
    func weigh(_ prepared: Prepared) -> Int { weight(prepared) }
}

/// `InputRun.fold`: a record without a MessageId is never a repeat, so it is folded where it was read and
/// only its problems (rare) wait for their turn; a record with one waits, whole, to be folded in order.
struct FoldHandling<State: Sendable>: RecordHandling {
    let options: InputOptions
    let make: @Sendable () -> State
    let fold: @Sendable (inout State, FailureRecord) -> Void
    let file: @Sendable (inout State, FileStatistics) -> Void

    func makeLocal() -> State { make() }

    func settledHere(_ record: FailureRecord, _ local: inout State) -> Bool {
        guard record.messageId == nil else { return false }
        if options.selects(record) { fold(&local, record) }
        return record.valueProblems.isEmpty && record.payload.problem == nil && record.missingAttributes.isEmpty
    }

    func pending(_ record: FailureRecord) -> PendingEvent<FailureRecord> {
        let waits = record.messageId != nil
        return .decide(record, prepared: waits && options.selects(record) ? record : nil)
    }

    func finished(_ stats: FileStatistics, _ local: inout State) { file(&local, stats) }
    func weigh(_ prepared: FailureRecord) -> Int { 256 + prepared.payload.decodedBytes }
}

/// Reads units on threads of its own, each unit whole on one thread, and hands what they produce to the
/// calling thread in input order, as `handling` says. With one reader everything happens on the calling
/// thread.
struct RecordEngine {
    /// Chunks close at 256 events or 256 KiB of weight; 1 MiB may wait ahead of the consumer, and about as
    /// much of the input it is on.
    static let chunkEvents = 256
    static let chunkWeight = 256 << 10
    static let aheadWeight = 1 << 20
    /// What an event costs to keep beside its prepared value, and a malformed line (its text), roughly.
    static let eventWeight = 32
    static let malformedWeight = 256

    let units: [InputUnit]
    let workers: Int
    let read: ReadOptions

    func drive<Handling: RecordHandling>(
        _ handling: Handling, take: (PendingEvent<Handling.Prepared>, String) -> Bool
    ) -> (stopped: Bool, locals: [Handling.Local]) {
        if workers <= 1 {
            var local = handling.makeLocal()
            var reader = RecordReader(options: read)
            for unit in units {
                let keepGoing = reader.read(unit) { event in
                    switch event {
                    case .record(let record):
                        if handling.settledHere(record, &local) { return true }
                        return take(handling.pending(record), unit.name)
                    case .malformed(let m):
                        return take(.malformed(m), unit.name)
                    case .finished(let stats):
                        handling.finished(stats, &local)
                        return take(.finished(stats), unit.name)
                    }
                }
                if !keepGoing { return (true, [local]) }
            }
            return (false, [local])
        }

        let chunks = OrderedChunks<Handling.Prepared>(limit: Self.aheadWeight)
        let lock = Lock()
        // nonisolated(unsafe): the three below are shared by the reading threads and this one, and are read or
        // written only inside `lock` (or after every thread that could touch them has been joined).
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var locals: [Handling.Local] = []
        // The input each thread is reading, if any, to know on stopping which ones may be blocked on a stream.
        nonisolated(unsafe) var inputOf = [Int?](repeating: nil, count: workers)
        let units = self.units, read = self.read
        let threads = (0..<workers).map { worker in
            OwnedThread {
                var local = handling.makeLocal()
                var reader = RecordReader(options: read)
                reading: while true {
                    let index: Int = lock.withLock {
                        defer { next += 1 }
                        inputOf[worker] = next < units.count ? next : nil
                        return next
                    }
                    guard index < units.count else { break }
                    var chunk: [PendingEvent<Handling.Prepared>] = []
                    var weight = 0
                    var open = true
                    reader.read(units[index]) { event in
                        switch event {
                        case .record(let record):
                            if handling.settledHere(record, &local) { return true }
                            let pending = handling.pending(record)
                            if case .record(let prepared?, _, _, _, _, _) = pending { weight += handling.weigh(prepared) }
                            chunk.append(pending)
                        case .malformed(let m):
                            chunk.append(.malformed(m))
                            weight += Self.malformedWeight
                        case .finished(let stats):
                            handling.finished(stats, &local)
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
        if stopped {
            chunks.stop()
            // From here no thread starts another input, so one reading a file now is done after its next
            // chunk. One reading a stream (stdin, a FIFO, `<(...)`) may be blocked in `read` until the writer
            // closes, which a closed output must not wait for: it is left to end on its own. It holds
            // everything it touches (the chunks, its reader, the handling) itself, and `put` turns it back.
            let onStream = lock.withLock {
                next = units.count
                return inputOf.map { $0.map { units[$0].isStream } ?? false }
            }
            for (thread, detach) in zip(threads, onStream) where detach { thread.detach() }
        }
        for thread in threads { thread.join() }
        return (stopped, lock.withLock { locals })
    }
}
