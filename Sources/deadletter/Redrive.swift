import DeadLetterAWS
import DeadLetterEngine
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSend
import DeadLetterSupport
import ArgumentParser

struct Redrive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put an EventBridge dead-letter queue's events back, deleting each message only once its event was accepted.",
        discussion: """
        Receives the queue's messages ten at a time (hidden while held), reads them as the EventBridge dead-letter \
        reader reads a saved dump, and for each message the filters select puts its event back with PutEvents (as \
        the eventbridge backfill target makes entries: the custom bus in RULE_ARN unless --event-bus; events of AWS \
        services and EventBridge Scheduler messages cannot be put and stay). A message is deleted only after \
        PutEvents accepted its entry (DeleteMessageBatch, each result checked). Entries PutEvents refuses are retried \
        as send retries them, then left; every message not deleted is made visible again at the end, also on \
        Ctrl-C or an error. A journal (per queue under ~/.local/state/deadletter/redrive/, or --journal) records \
        each put before it goes and its answer after: a run stopped between a put and its delete never loses the \
        message, and the next run deletes it without putting it again; only puts that were out when a run stopped \
        are put again, counted as possibly duplicated. A queue with a RedrivePolicy of its own is refused unless \
        --allow-receive-count. Messages a killed run held come back after the visibility timeout.

        Examples:
          deadletter summarize sqs://orders-dlq --by rule,errorCode
          deadletter redrive sqs://orders-dlq --dry-run
          deadletter redrive sqs://orders-dlq --where errorCode=THROTTLING --since 24h
          deadletter redrive https://sqs.eu-west-1.amazonaws.com/111122223333/orders-dlq --event-bus replay --format json   # needs AWS
        """
    )

    @Argument(help: ArgumentHelp("The dead-letter queue: sqs://NAME or its URL.", valueName: "queue"))
    var queue: String

    @Option(help: ArgumentHelp("Where the events go: eventbridge (the only target).", valueName: "target"))
    var to: String = "eventbridge"

    @Option(help: ArgumentHelp("Put every event on this bus (default: the custom bus in RULE_ARN, else the default bus).", valueName: "name"))
    var eventBus: String?

    @Option(help: ArgumentHelp("Put the events under this source: events of AWS services (aws.*) cannot be put under theirs.", valueName: "name"))
    var source: String?

    @Option(help: ArgumentHelp("Receive at most this many messages (the rest are not touched); the filters choose among them.", valueName: "n"))
    var maxMessages: Int?

    @Option(help: ArgumentHelp("Keep only this family (eventbridge-dlq).", valueName: "kind"))
    var kind: NamedChoice<FailureKind>?

    @OptionGroup var filters: FilterFlags

    @Option(help: ArgumentHelp("Times one entry is put at most, the first included (1 to 100).", valueName: "n"))
    var maxAttempts: Int = 5

    @Option(help: ArgumentHelp("Time after which entries still failing are left in the queue: seconds or 90s, 15m, 2h.", valueName: "duration"))
    var maxTime: String = "15m"

    @Option(help: ArgumentHelp("How long received messages stay hidden while this run holds them (default: 5 minutes and more for a long queue).", valueName: "duration"))
    var visibilityTimeout: String?

    @Option(help: ArgumentHelp("The journal file (default: one per queue under $XDG_STATE_HOME or ~/.local/state, deadletter/redrive/).", valueName: "file"), completion: .file())
    var journal: String?

    @Flag(help: "Read and report what would be redriven; put and delete nothing (every message visible again after).")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Print no warnings or notes on stderr (errors still are).")
    var quiet = false

    @Option(help: "Output format.")
    var format: SendFormat = .table

    @OptionGroup(title: "AWS options") var aws: AWSFlags

    func validate() throws {
        guard to == "eventbridge" else { throw ValidationError("--to: redrive puts events back on EventBridge only (--to eventbridge)") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be from 1 to 100, not \(maxAttempts)") }
        if let maxMessages { guard maxMessages >= 1 else { throw ValidationError("--max-messages must be at least 1") } }
        guard SQSQueueName(queue) != nil else { throw ValidationError("\(queue): not a queue: write sqs://NAME or the queue's URL") }
        do throws(UsageError) {
            _ = try TimeArgument.seconds(maxTime, flag: "--max-time")
            if let visibilityTimeout {
                let seconds = try TimeArgument.seconds(visibilityTimeout, flag: "--visibility-timeout")
                guard seconds >= 1 && seconds <= 43_200 else { throw UsageError("--visibility-timeout must be from 1 s to 12 h") }
            }
        } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        var options = RedriveOptions()
        options.queue = queue
        options.eventBus = eventBus
        options.source = source
        options.maxMessages = maxMessages
        options.dryRun = dryRun
        options.format = format
        options.journal = journal
        options.input.quiet = quiet
        options.input.kind = try kind?.value(for: "--kind <kind>", meaning: InputFlags.kindOfFolder)
        options.input.filter = try filters.filter()
        options.send.maxAttempts = maxAttempts
        options.send.maxTime = (try? TimeArgument.seconds(maxTime, flag: "--max-time")) ?? 900
        options.visibility = visibilityTimeout.flatMap { try? TimeArgument.seconds($0, flag: "--visibility-timeout") }.map { Int($0.rounded(.up)) }
        options.allowReceiveCount = aws.allowReceiveCount
        options.environment = AWSEnvironment.process()
        options.aws = aws.options(environment: options.environment)
        options.trace = aws.verbose ? AWSTrace(AWSFlags.traceLine) : .off
        // Ctrl-C makes the messages held visible again before the process exits.
        options.interrupts = AWSFlags.installInterrupts()
        try finish { output, diagnostics throws(UsageError) in
            try RedriveJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
