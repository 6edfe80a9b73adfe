import DeadLetterBytes
import DeadLetterInput
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSupport
/// Options shared by every command that reads records.
public struct InputOptions: Sendable {
    public var paths: [String] = []
    public var read = ReadOptions()
    /// `--kind`: keep only this family, and give it to records that carry no clue to theirs.
    public var kind: FailureKind?
    /// `--where`, `--since`, `--until`.
    public var filter = RecordFilter()
    /// `--strict`: malformed input makes the run exit 2.
    public var strict = false
    /// `--quiet`: no warnings or notes on stderr.
    public var quiet = false
    /// Draw a progress line on stderr (off with `--quiet`). The executable sets it only when stderr is a
    /// terminal and `--no-progress` is not given; the library never asks the terminal itself.
    public var progress = false
    /// Whether stdin is a terminal (then no PATH is a usage error rather than a silent wait).
    public var stdinIsTerminal = false
    /// Sources for arguments that are not local paths (`s3://`), set by the executable.
    public var remoteSources: RemoteSources = { [] }
    /// `--shard I/N`: read only this shard's share of the units.
    public var shard: Shard?

    public init() {}

    /// Whether a record is selected: `--kind`, then `--where`/`--since`/`--until`.
    public func selects(_ record: FailureRecord) -> Bool {
        if let kind, record.kind != kind { return false }
        return filter.accepts(record)
    }
}

/// How a run over the inputs went, for the exit status.
public struct RunOutcome: Sendable {
    public var inputErrors = 0
    public var malformed = 0
    /// Lines whose JSON object was followed by junk (see `MalformedLine.trailing`): malformed input too.
    public var trailingJunk = 0
    /// SQS messages read again (same MessageId and body) and counted once, and MessageIds read again with
    /// another body (kept), decided in input order.
    public var repeats = 0
    public var messageIdConflicts = 0
    /// The consumer stopped early (closed pipe).
    public var stopped = false
}

/// Reads every input named by the options and hands each event on, reporting on stderr what a person
/// must know: unreadable inputs, the first malformed lines, damaged payloads.
public struct InputRun {
    public static let reportedMalformedLines = 10

    public var options: InputOptions
    public let diagnostics: Diagnostics

    public init(options: InputOptions, diagnostics: Diagnostics) {
        self.options = options
        self.diagnostics = diagnostics
        if options.quiet { diagnostics.quiet = true }
        // The exit status derives from the diagnostics; `--strict` decides what malformed input weighs.
        if options.strict { diagnostics.strict = true }
    }

    /// The inputs to read: the paths, or stdin when none are given and it is not a terminal.
    public func resolvedPaths() throws(UsageError) -> [String] {
        if !options.paths.isEmpty { return options.paths }
        if options.stdinIsTerminal {
            throw UsageError("no input: give a file or directory, or pipe records on stdin (use - to read stdin explicitly)")
        }
        return ["-"]
    }

    /// The units to read, in order, and what could not be used.
    public func listing() throws(UsageError) -> InputListing {
        let window = options.filter.since == nil && options.filter.until == nil
            ? nil : TimeWindow(since: options.filter.since, until: options.filter.until)
        let paths = try resolvedPaths()
        if options.shard != nil {
            // Refused before listing: listing a queue already receives its messages.
            let sources = options.remoteSources()
            for path in paths where path == "-" || sources.contains(where: { $0.claims(path) && !$0.canBeSharded }) {
                throw Self.cannotShare(path)
            }
        }
        let listing = InputSources.list(paths, remote: options.remoteSources, window: window)
        guard let shard = options.shard else { return listing }
        if let stream = listing.units.first(where: \.isStream) { throw Self.cannotShare(stream.name) }
        return listing.only(shard)
    }

    static func cannotShare(_ name: String) -> UsageError {
        UsageError("--shard splits files and objects by size; \(name == "-" ? "standard input" : TerminalText.escape(name)) is a stream (or a queue) and cannot be shared out")
    }

    static func conflictMessage(id: String, earlier: String) -> String {
        "SQS MessageId \(id) was read before (\(earlier)) with a different body; both are kept"
    }

    /// Records in input order, each turned by `prepare` (which may run on other threads), with every
    /// malformed line, repeat, conflict, payload problem and finished input in between. With several inputs
    /// and `workers` above 1, inputs are read in parallel and the events reassembled in order, so the output
    /// is the same as one reader's; one input is read on one thread, inflating ahead on another. `weigh`
    /// gives the rough size of a prepared value, to keep what waits in memory small. `consume` returns false
    /// to stop reading (closed output).
    @inlinable
    public func run<Prepared: Sendable>(
        workers requested: Int = Cores.available,
        prepare: @escaping @Sendable (FailureRecord) -> Prepared,
        weigh: @escaping @Sendable (Prepared) -> Int = { _ in 256 },
        _ consume: (OrderedEvent<Prepared>) -> Bool
    ) throws(UsageError) -> RunOutcome {
        run(try listing(), workers: requested, prepare: prepare, weigh: weigh, consume)
    }

    /// `run` over units listed already.
    ///
    /// The engine itself is compiled once, here, for one class of prepared value (`PreparedBox`): called
    /// generically from the layers above it ran unspecialised, which cost `backfill` and `records` 5% more
    /// instructions. Only this thin wrapper is inlined into the caller, where it is specialised for
    /// `Prepared`; the price is one small object per selected record.
    @inlinable
    public func run<Prepared: Sendable>(
        _ listing: InputListing, workers requested: Int = Cores.available,
        prepare: @escaping @Sendable (FailureRecord) -> Prepared,
        weigh: @escaping @Sendable (Prepared) -> Int = { _ in 256 },
        _ consume: (OrderedEvent<Prepared>) -> Bool
    ) -> RunOutcome {
        runBoxed(listing, workers: requested,
                 prepare: { PreparedBox.Of(prepare($0)) },
                 weigh: { weigh(unsafeDowncast($0, to: PreparedBox.Of<Prepared>.self).value) }) { event in
            consume(event.unboxed(as: Prepared.self))
        }
    }

    @usableFromInline
    func runBoxed(
        _ listing: InputListing, workers requested: Int,
        prepare: @escaping @Sendable (FailureRecord) -> PreparedBox,
        weigh: @escaping @Sendable (PreparedBox) -> Int,
        _ consume: (OrderedEvent<PreparedBox>) -> Bool
    ) -> RunOutcome {
        session(listing, workers: requested, OrderedHandling(options: options, prepare: prepare, weight: weigh), consume).outcome
    }

    /// What `fold` found: the partial states (merge them; their order is not the input's) and the first
    /// malformed lines in input order.
    public struct Fold<State> {
        public var outcome: RunOutcome
        public var states: [State]
        public var malformedSamples: [MalformedLine]
        /// The shard read, with `--shard`.
        public var shard: ShardMark?
    }

    /// For results that do not depend on the order records are added in (summaries): the same answer as
    /// `run`, faster. Reading threads fold the records that carry no MessageId into states of their own, no
    /// lock per record; a record with a MessageId (rare: SQS dumps) is folded on this thread in input order,
    /// once it is known to be the first copy of its message. Diagnostics come from the same place as `run`'s.
    public func fold<State: Sendable>(
        workers requested: Int = Cores.available, keepSamples: Int,
        makeState: @escaping @Sendable () -> State,
        record fold: @escaping @Sendable (inout State, FailureRecord) -> Void,
        file: @escaping @Sendable (inout State, FileStatistics) -> Void,
        malformed: (MalformedLine) -> Void = { _ in }
    ) throws(UsageError) -> Fold<State> {
        var inOrder = makeState()
        var samples: [MalformedLine] = []
        let handling = FoldHandling(options: options, make: makeState, fold: fold, file: file)
        let listing = try listing()
        let (outcome, states) = session(listing, workers: requested, handling) { event in
            switch event {
            case .record(let record): fold(&inOrder, record)
            case .malformed(let m):
                if samples.count < keepSamples { samples.append(m) }
                malformed(m)
            default: break
            }
            return true
        }
        return Fold(outcome: outcome, states: states + [inOrder], malformedSamples: samples, shard: listing.shard)
    }

    /// What `run` and `fold` share: listing problems, the progress line, the engine, the tally and the tail.
    func session<Handling: RecordHandling>(
        _ listing: InputListing, workers requested: Int, _ handling: Handling,
        _ consume: (OrderedEvent<Handling.Prepared>) -> Bool
    ) -> (outcome: RunOutcome, locals: [Handling.Local]) {
        var tally = OrderedTally(diagnostics: diagnostics, filtered: options.kind != nil || !options.filter.isEmpty)
        tally.report(listing.problems)
        let workers = max(1, min(requested, listing.units.count))
        var read = options.read
        // One input (a big object, or stdin): inflate on one core and parse on another instead.
        read.prefetch = workers == 1 && requested > 1
        let progress = ProgressLine.start(enabled: options.progress && !options.quiet, totalFiles: listing.units.count,
                                          totalBytes: listing.totalBytes)
        diagnostics.progress = progress
        defer {
            progress?.finish()
            diagnostics.progress = nil
        }
        read.progress = progress?.counters
        let engine = RecordEngine(units: listing.units, workers: workers, read: read)
        let (stopped, locals) = engine.drive(handling) { event, name in tally.take(event, path: name, consume) }
        tally.outcome.stopped = stopped
        tally.reportTail()
        return (tally.outcome, locals)
    }
}
