import DeadLetterInput
import DeadLetterSupport
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
    /// `--kind`, `--where`, `--since` or `--until` was given: they select records, and a malformed line is none.
    let filtered: Bool

    init(diagnostics: Diagnostics, filtered: Bool = false) {
        self.diagnostics = diagnostics
        self.filtered = filtered
    }

    /// What could not be listed, before anything is read.
    mutating func report(_ problems: [InputProblem]) {
        for problem in problems {
            let location = SourceLocation(file: problem.path)
            if problem.isNote {
                diagnostics.report(.note(.skippedInput, at: location, problem.reason))
            } else {
                diagnostics.report(.error(.unreadableInput, at: location, problem.reason))
                if problem.counted { outcome.inputErrors += 1 }
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
                    show(.warning(.messageIdConflict, at: SourceLocation(file: path, line: line),
                                  InputRun.conflictMessage(id: messageId, earlier: earlier)),
                         ordinal: outcome.messageIdConflicts)
                    if !consume(.conflict(file: path, line: line, id: messageId, earlier: earlier)) { return false }
                }
            }
            for problem in problems {
                payloadProblems += 1
                show(.warning(.payloadProblem, at: SourceLocation(file: path, line: line), problem), ordinal: payloadProblems)
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
            show(.warning(m.trailing ? .trailingJunk : .malformedLine, at: SourceLocation(file: m.file, line: m.line), m.message),
                 ordinal: outcome.malformed + outcome.trailingJunk)
            return consume(.malformed(m))
        case .finished(let stats):
            if let error = stats.error {
                outcome.inputErrors += 1
                diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: stats.path), error.description))
            } else if stats.path == "-" && stats.bytesRead == 0 {
                // `printf '' | deadletter summarize`, or a producer that failed upstream: "0 records" alone
                // would read like a clean result.
                diagnostics.report(.note(.skippedInput, "standard input was empty: nothing was read (pipe records in, or name a PATH)"))
            }
            return consume(.finished(stats))
        }
    }

    /// Shows the first few diagnostics of a kind (`ordinal` counts them, this one included) and only counts
    /// the rest: the tail says how many were not shown, and the exit status sees them all.
    func show(_ diagnostic: Diagnostic, ordinal: Int) {
        if ordinal <= InputRun.reportedMalformedLines {
            diagnostics.report(diagnostic)
        } else {
            diagnostics.count(diagnostic.severity, diagnostic.code)
        }
    }

    /// The closing counts of a run, after the first few lines were shown one by one.
    func reportTail() {
        let malformed = outcome.malformed, trailingJunk = outcome.trailingJunk
        if malformed + trailingJunk > InputRun.reportedMalformedLines {
            let hidden = malformed + trailingJunk - InputRun.reportedMalformedLines
            let all = trailingJunk == 0 ? "\(malformed) in all" : "\(malformed) malformed and \(trailingJunk) with trailing junk in all"
            diagnostics.report(.warning(.moreNotShown, "\(hidden) more malformed lines not shown (\(all); --format json lists samples)"))
        }
        if filtered && malformed > 0 {
            // The totals line counts them beside the selected records: say why they are not narrowed too.
            diagnostics.report(.note(.malformedLine, "the \(malformed) malformed lines are those of every file read: "
                + "a line that cannot be read has no kind, field or time for --kind, --where, --since or --until to select"))
        }
        if outcome.repeats > 0 {
            diagnostics.report(.note(.repeatedMessages, "\(outcome.repeats) SQS messages were read more than once (same MessageId) and counted once"))
        }
        if outcome.messageIdConflicts > 0 {
            diagnostics.report(.warning(.messageIdConflict, "\(outcome.messageIdConflicts) SQS messages reuse a MessageId read before with a different body; each was kept as a record of its own"))
        }
        if messagesMissingAttributes > 0 {
            let names = missingAttributes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            diagnostics.report(.warning(.missingAttributes, "\(messagesMissingAttributes) SQS messages lack EventBridge DLQ attributes (missing: \(names)); read as eventbridge-dlq without them"))
        }
        if payloadProblems > InputRun.reportedMalformedLines {
            diagnostics.report(.warning(.moreNotShown, "\(payloadProblems - InputRun.reportedMalformedLines) more payload problems not shown"))
        }
    }
}

/// The SQS message ids met in a run, each with the bodies read under it and where each was first read:
/// dumps overlap after visibility timeouts (the same message again, a repeat), but a MessageId with another
/// body is a different message (hand-edited dumps, several queues mixed) and must not vanish as a repeat.
struct MessageIdBook {
    enum Verdict: Equatable {
        case first
        case repeated
        /// Another body than any read before under this id; `earlier` is where the first was read.
        case conflict(earlier: String)
    }

    /// Where an id was first read and its bodies' digests. Nearly every id has one body, so the first digest
    /// is kept inline and `others` stays empty: no array is allocated per message.
    private struct Entry {
        var file: String
        var line: Int
        var digest: UInt64?
        var others: [UInt64?] = []
    }

    private var seen: [String: Entry] = [:]

    mutating func check(_ id: String, digest: UInt64?, file: String, line: Int) -> Verdict {
        guard let entry = seen[id] else {
            seen[id] = Entry(file: file, line: line, digest: digest)
            return .first
        }
        if entry.digest == digest || entry.others.contains(digest) { return .repeated }
        seen[id]!.others.append(digest)
        return .conflict(earlier: "\(entry.file):\(entry.line)")
    }
}
