import DeadLetterQuery
import DeadLetterSupport
import ArgumentParser

/// `--where`, `--since`, `--until`: shared by every command that selects records.
struct FilterFlags: ParsableArguments {
    @Option(name: .customLong("where"),
            help: ArgumentHelp("FIELD=VALUE, FIELD!=VALUE or FIELD~REGEX; repeatable, all must hold. A record without the field has the value (none).",
                               valueName: "condition"),
            completion: .list(RecordField.names(for: .where).map { $0 + "=" }))
    var conditions: [String] = []

    @Option(help: ArgumentHelp("Arrival at or after T: RFC 3339, a date, epoch milliseconds, or a duration back from now (36h, 7d); within the years 0000 to 9999.", valueName: "T"))
    var since: String?

    @Option(help: ArgumentHelp("Arrival before T (same forms as --since).", valueName: "T"))
    var until: String?

    func filter() throws -> RecordFilter {
        var filter = RecordFilter()
        let nowMillis = WallClock.millis()
        do {
            filter.conditions = try conditions.map { text throws(UsageError) in try Condition(parsing: text) }
            filter.since = try since.map { text throws(UsageError) in try TimeArgument.parse(text, now: nowMillis, flag: "--since") }
            filter.until = try until.map { text throws(UsageError) in try TimeArgument.parse(text, now: nowMillis, flag: "--until") }
        } catch {
            throw ValidationError(error.message)
        }
        return filter
    }
}
