import DeadLetterSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `send` paces and gives up.
public struct SendOptions: Sendable {
    /// Calls in flight at once.
    public var concurrency = 8
    /// Times one item is sent at most, the first included.
    public var maxAttempts = 5
    /// Seconds after which items still failing are given up (dead letters).
    public var maxTime: Double = 900
    /// Full-jitter backoff between rounds of retries: `random() × min(base × 2^(round-1), cap)` seconds.
    public var baseDelay: Double = 0.25
    public var maxDelay: Double = 20
    /// `--rate`: items a second at most (halved while the service throttles); nil for as fast as answers come.
    public var rate: Double?
    /// Draw the progress line on stderr (a terminal).
    public var progress = false
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }
    /// Seconds on a monotonic clock (injected by tests).
    public var now: @Sendable () -> Double = { Clocks.monotonicSeconds() }

    public init() {}

    /// Seconds to wait before retry round `round` (1 for the first): full jitter under the capped exponential.
    func backoff(round: Int) -> Double {
        random() * min(baseDelay * Double(1 << min(round - 1, 30)), maxDelay)
    }
}

enum Clocks {
    static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// What a run did. `items = sent + failed + alreadySent`.
public struct SendTotals: Sendable, Equatable {
    public var items = 0
    /// Taken by the service in this run.
    public var sent = 0
    /// Dead letters: given up in this run or an earlier one (in `send-failed/`).
    public var failed = 0
    /// Taken in an earlier run (the journal says so): not sent again.
    public var alreadySent = 0
    /// Sends of an item after its first in this run.
    public var retried = 0
    /// Items whose earlier request was out when that run stopped, sent again: they may arrive twice.
    public var possiblyDuplicated = 0
    public var requests = 0
}

/// Delivers the items of a backfill directory: each file's items in one call, retrying only the items that
/// failed with a retryable error, in rounds with full-jitter backoff; everything journaled before and after
/// each call (see `SendJournal`).
struct SendEngine {
    let directory: BackfillDirectory
    let target: any SendTarget
    let journal: SendJournal
    let earlier: SendJournal.State
    let options: SendOptions
    let trace: @Sendable (String) -> Void
    let pace: Pace?
    let progress: SendProgress

    init(directory: BackfillDirectory, target: any SendTarget, journal: SendJournal, earlier: SendJournal.State, options: SendOptions,
         trace: @escaping @Sendable (String) -> Void) {
        (self.directory, self.target, self.journal, self.earlier, self.options, self.trace) = (directory, target, journal, earlier, options, trace)
        pace = options.rate.map { Pace(limit: $0, now: options.now) }
        progress = SendProgress(total: directory.itemCount)
    }

    struct Batch: Sendable {
        var file: Int
        var indices: [Int]
    }

    func id(_ file: Int, _ index: Int) -> String { directory.files[file].itemID(index) }

    struct Result: Sendable {
        var totals = SendTotals()
        var deadLetters: [String: SendJournal.DeadLetter] = [:]
    }

    func run() async throws(SendJournal.Failure) -> Result {
        var result = Result()
        result.totals.items = directory.itemCount
        let runNumber = earlier.runs + 1
        try journal.start(run: runNumber, at: WallClock.millis())
        var batches: [Batch] = []
        // Items that may arrive twice: out in a call when an earlier run stopped, or sent again after a
        // call of this run whose answer was lost and then taken.
        var duplicated: Set<String> = []
        for (f, file) in directory.files.enumerated() {
            var indices: [Int] = []
            for i in 0..<file.itemCount {
                let id = id(f, i)
                if earlier.delivered.contains(id) {
                    result.totals.alreadySent += 1
                } else if let letter = earlier.failed[id] {
                    result.deadLetters[id] = letter
                } else {
                    if earlier.mayHaveArrived.contains(id) || directory.mayHaveArrived.contains(id) { duplicated.insert(id) }
                    indices.append(i)
                }
            }
            if !indices.isEmpty { batches.append(Batch(file: f, indices: indices)) }
        }
        progress.settled(result.totals.alreadySent + result.deadLetters.count, bytes: 0)
        let line = ProgressLine.start(enabled: options.progress) { [progress] in progress.line(elapsed: $0) }
        defer { line?.finish() }
        let started = options.now()
        var attempts: [String: Int] = [:]
        // Items sent again after a call whose fate was unknown: delivered later, they may be there twice.
        var uncertain: Set<String> = []
        var round = 0
        var request = 0
        while !batches.isEmpty {
            if round > 0 {
                let delay = options.backoff(round: round)
                trace("send: retry round \(round): \(batches.reduce(0) { $0 + $1.indices.count }) items in \(Int(delay * 1000)) ms")
                if options.now() - started + delay > options.maxTime {
                    var letters: [(id: String, letter: SendJournal.DeadLetter)] = []
                    for batch in batches {
                        for i in batch.indices {
                            let id = id(batch.file, i)
                            letters.append((id, SendJournal.DeadLetter(code: "MaxTime", message: "still failing when --max-time ran out", attempts: attempts[id] ?? 0,
                                                               mayHaveArrived: uncertain.contains(id) || duplicated.contains(id))))
                        }
                    }
                    try journal.failed(letters)
                    for letter in letters { result.deadLetters[letter.id] = letter.letter }
                    progress.settled(letters.count, bytes: 0)
                    break
                }
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
            if round > 0 {
                let count = batches.reduce(0) { $0 + $1.indices.count }
                result.totals.retried += count
                progress.retrying(count)
            }
            let numbered = batches.map { batch -> (String, Batch) in
                request += 1
                return ("\(runNumber)-\(request)", batch)
            }
            let answers = try await sendAll(numbered, sentBefore: uncertain.union(duplicated))
            result.totals.requests += numbered.count
            var next: [Batch] = []
            var letters: [(id: String, letter: SendJournal.DeadLetter)] = []
            for (batch, outcomes) in answers {
                var retry: [Int] = []
                for (i, outcome) in zip(batch.indices, outcomes) {
                    let id = id(batch.file, i)
                    let tries = (attempts[id] ?? 0) + 1
                    attempts[id] = tries
                    if outcome.mayHaveArrived { uncertain.insert(id) }
                    switch outcome {
                    case .delivered:
                        result.totals.sent += 1
                        if uncertain.contains(id) { duplicated.insert(id) }
                    case .retry(let code, let message):
                        if tries >= options.maxAttempts {
                            progress.settled(1, bytes: 0)
                            letters.append((id, .init(code: code, message: "\(message) (still failing after \(tries) attempts)", attempts: tries,
                                                      mayHaveArrived: uncertain.contains(id) || duplicated.contains(id))))
                        } else {
                            retry.append(i)
                        }
                    case .reject, .present:
                        // `present` was settled against what was sent before, in `sendAll`; it cannot be left.
                        letters.append((id, .init(code: outcome.code ?? "AlreadyExists", message: outcome.message, attempts: tries,
                                                  mayHaveArrived: uncertain.contains(id) || duplicated.contains(id))))
                    }
                }
                if !retry.isEmpty { next.append(Batch(file: batch.file, indices: retry)) }
            }
            try journal.failed(letters)
            for letter in letters { result.deadLetters[letter.id] = letter.letter }
            batches = next
            round += 1
        }
        result.totals.failed = result.deadLetters.count
        result.totals.possiblyDuplicated = duplicated.count
        return result
    }

    /// Sends every batch, `concurrency` at a time; each journaled before it goes and after its answer.
    /// `sentBefore`: items an earlier call may have delivered, for which "already there" means delivered.
    private func sendAll(_ batches: [(String, Batch)], sentBefore: Set<String>) async throws(SendJournal.Failure) -> [(Batch, [ItemOutcome])] {
        let outcome: Swift.Result<[(Int, Batch, [ItemOutcome])], SendJournal.Failure> = await withTaskGroup(
            of: Swift.Result<(Int, Batch, [ItemOutcome]), SendJournal.Failure>.self) { group in
            var next = 0
            var done: [(Int, Batch, [ItemOutcome])] = []
            var failure: SendJournal.Failure?
            func add() {
                guard next < batches.count, failure == nil else { return }
                let (request, batch) = batches[next]
                let position = next
                next += 1
                group.addTask { [self] in
                    let ids = batch.indices.map { id(batch.file, $0) }
                    do throws(SendJournal.Failure) {
                        let all: [[UInt8]]
                        do throws(BackfillDirectory.Unreadable) { all = try directory.files[batch.file].items() } catch {
                            throw SendJournal.Failure(message: error.message)
                        }
                        let items = batch.indices.map { all[$0] }
                        await pace?.admit(items.count)
                        try journal.sending(request, ids)
                        var outcomes = await target.send(items)
                        if outcomes.count != items.count {
                            outcomes = .all(items.count, .retry(code: "MalformedAnswer", message: "not one outcome per item"))
                        }
                        // The service holds an item with this id already: taken by an earlier call of ours whose
                        // answer was lost, or something else's, which is not overwritten (a dead letter to look at).
                        for (n, id) in ids.enumerated() {
                            guard case .present(let message) = outcomes[n] else { continue }
                            outcomes[n] = sentBefore.contains(id) ? .delivered
                                : .reject(code: "AlreadyExists", message: "\(message); it was there before this send and is left as it is")
                        }
                        if outcomes.contains(where: \.isThrottling) { await pace?.throttled() }
                        let settled = outcomes.filter { if case .retry = $0 { return false } else { return true } }.count
                        progress.settled(settled, bytes: zip(items, outcomes).reduce(0) { $0 + ($1.1 == .delivered ? $1.0.count : 0) })
                        var delivered: [String] = [], notTaken: [String] = [], uncertain: [String] = []
                        for (id, outcome) in zip(ids, outcomes) {
                            if outcome == .delivered {
                                delivered.append(id)
                            } else if outcome.mayHaveArrived {
                                uncertain.append(id)
                            } else {
                                notTaken.append(id)
                            }
                        }
                        try journal.answered(request, delivered: delivered, notTaken: notTaken, uncertain: uncertain)
                        return .success((position, batch, outcomes))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            for _ in 0..<max(1, options.concurrency) { add() }
            while let result = await group.next() {
                switch result {
                case .success(let answer): done.append(answer)
                case .failure(let error): failure = failure ?? error
                }
                add()
            }
            if let failure { return .failure(failure) }
            return .success(done)
        }
        switch outcome {
        case .success(let done): return done.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        case .failure(let error): throw error
        }
    }
}
