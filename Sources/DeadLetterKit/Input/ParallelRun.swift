import Dispatch

/// What one file gave, besides the records folded into a worker's state: enough to report diagnostics and
/// malformed samples in input order after the workers are done.
struct FileLog: Sendable {
    var malformed: [MalformedLine] = []
    var malformedCount = 0
    var trailingJunkCount = 0
    var problems: [String] = []
    var problemCount = 0
    var conflicts: [String] = []
    var repeats = 0
    var messageIdConflicts = 0
    var missingAttributes: [String: Int] = [:]
    var messagesMissingAttributes = 0
    var error: String?
}

extension InputRun {
    /// Reads the inputs on `workers` threads, each file whole on one thread, for consumers whose result does
    /// not depend on the order of records (summaries). Each worker folds records into its own state, so no
    /// lock is taken per record; malformed samples and diagnostics are reported in input order, exactly as a
    /// sequential run would report them.
    public func runParallel<State: Sendable>(
        workers requested: Int, makeState: @Sendable () -> State,
        record: @escaping @Sendable (inout State, FailureRecord) -> Void,
        file: @escaping @Sendable (inout State, FileStatistics) -> Void
    ) throws(UsageError) -> (outcome: RunOutcome, states: [State], malformedSamples: [MalformedLine], repeats: Int, messageIdConflicts: Int) {
        let paths = try resolvedPaths()
        var outcome = RunOutcome()
        let (items, problems) = InputWalker.expand(paths)
        for problem in problems {
            if problem.isNote { diagnostics.note(problem.description) } else {
                diagnostics.error(problem.description)
                outcome.inputErrors += 1
            }
        }
        let workers = max(1, min(requested, items.count))
        var adjusted = self.options
        // One input (a big object, or stdin): inflate on one core and parse on another instead.
        adjusted.read.prefetch = workers == 1 && requested > 1
        let progress = ProgressLine.start(enabled: options.progress && !options.quiet, totalFiles: items.count,
                                          totalBytes: InputWalker.totalBytes(items))
        adjusted.read.progress = progress?.counters
        let options = adjusted
        let seen = MessageIdSet()
        let lock = Lock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var logs = [FileLog](repeating: FileLog(), count: items.count)
        nonisolated(unsafe) var states: [State?] = Array(repeating: nil, count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var state = makeState()
            var reader = RecordReader(options: options.read, seenMessages: seen)
            while true {
                let index: Int = lock.withLock {
                    defer { next += 1 }
                    return next
                }
                guard index < items.count else { break }
                var log = FileLog()
                reader.read(items[index]) { event in
                    switch event {
                    case .record(let r):
                        if !r.missingAttributes.isEmpty {
                            log.messagesMissingAttributes += 1
                            for name in r.missingAttributes { log.missingAttributes[name, default: 0] += 1 }
                        }
                        if options.selects(r) { record(&state, r) }
                    case .malformed(let m):
                        if m.trailing { log.trailingJunkCount += 1 } else { log.malformedCount += 1 }
                        if log.malformed.count < Summary.maxMalformedSamples { log.malformed.append(m) }
                    case .payloadProblem(let f, let line, let problem):
                        log.problemCount += 1
                        if log.problems.count < Self.reportedMalformedLines { log.problems.append("\(f):\(line): \(problem)") }
                    case .repeated:
                        log.repeats += 1
                    case .conflict(let f, let line, let id, let earlier):
                        log.messageIdConflicts += 1
                        if log.conflicts.count < Self.reportedMalformedLines {
                            log.conflicts.append(Self.conflictMessage(file: f, line: line, id: id, earlier: earlier))
                        }
                    case .finished(let stats):
                        if let error = stats.error { log.error = "\(stats.path): \(error)" }
                        file(&state, stats)
                    }
                    return true
                }
                lock.withLock { logs[index] = log }
            }
            lock.withLock { states[worker] = state }
        }
        progress?.finish()
        // Diagnostics in input order.
        var samples: [MalformedLine] = []
        var shownMalformed = 0, shownProblems = 0, shownConflicts = 0, malformed = 0, trailingJunk = 0, problemsTotal = 0, repeats = 0, conflicts = 0
        var missing: [String: Int] = [:]
        var messagesMissing = 0
        for log in logs {
            if let error = log.error {
                outcome.inputErrors += 1
                diagnostics.error(error)
            }
            for m in log.malformed {
                if shownMalformed < Self.reportedMalformedLines {
                    diagnostics.warning("\(m.file):\(m.line): \(m.message)")
                    shownMalformed += 1
                }
                if samples.count < Summary.maxMalformedSamples { samples.append(m) }
            }
            for p in log.problems where shownProblems < Self.reportedMalformedLines {
                diagnostics.warning(p)
                shownProblems += 1
            }
            for c in log.conflicts where shownConflicts < Self.reportedMalformedLines {
                diagnostics.warning(c)
                shownConflicts += 1
            }
            malformed += log.malformedCount
            trailingJunk += log.trailingJunkCount
            problemsTotal += log.problemCount
            repeats += log.repeats
            conflicts += log.messageIdConflicts
            messagesMissing += log.messagesMissingAttributes
            for (k, v) in log.missingAttributes { missing[k, default: 0] += v }
        }
        outcome.malformed = malformed
        outcome.trailingJunk = trailingJunk
        reportTail(malformed: malformed, trailingJunk: trailingJunk, payloadProblems: problemsTotal, repeats: repeats, messageIdConflicts: conflicts,
                   messagesMissingAttributes: messagesMissing, missingAttributes: missing)
        return (outcome, states.compactMap { $0 }, samples, repeats, conflicts)
    }
}
